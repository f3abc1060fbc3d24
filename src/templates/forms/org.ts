/** ARIN-ORG: create (N), modify (M) or remove (R) an organization. Versions 4 and 5 (5 adds 00). */
import type { FieldSpec, FormDefinition } from '../definition.ts';
import type { OrgCreate, OrgHandle, OrgModify, OrgRemove, PocHandle } from '../requests.ts';
import {
  ALWAYS,
  addressPatch,
  apiKeyField,
  compact,
  field,
  MODIFY_REMOVE,
  NEW,
  postalAddress,
  requireSomeChange,
} from './common.ts';

const ORG_FIELDS: readonly FieldSpec[] = [
  field('01', 'Registration Action', 'action', 'action', { hint: 'N, M or R', required: ALWAYS }),
  field('02', 'Existing OrgID', 'handle', 'orgHandle', {
    hint: 'leave blank when creating',
    required: MODIFY_REMOVE,
    blankFor: NEW,
  }),
  field('03', "Organization's Legal Name", 'legalName', 'text', { required: NEW }),
  field('04', "Organization's D/B/A", 'doingBusinessAs', 'text'),
  field('05', 'Business Tax ID Number', 'taxId', 'text', { maxLength: 50 }),
  field('06', 'Org Address', 'street', 'text', { multi: 10, required: NEW }),
  field('07', 'Org City', 'city', 'text', { required: NEW }),
  field('08', 'Org State/Province', 'state', 'text'),
  field('09', 'Org Postal Code', 'postalCode', 'text', { maxLength: 20 }),
  field('10', 'Org Country Code', 'country', 'country', { required: NEW }),
  field('11', 'Admin POC Handle', 'adminPoc', 'pocHandle', { required: NEW }),
  field('12', 'Tech POC Handle', 'techPocs', 'pocHandle', { multi: 10, required: NEW }),
  field('13', 'Abuse POC Handle', 'abusePocs', 'pocHandle', { multi: 10 }),
  field('14', 'NOC POC Handle', 'nocPocs', 'pocHandle', { multi: 10 }),
  field('15', 'Referral Server', 'referralServer', 'referralServer', { hint: 'rwhois://host:port' }),
  field('16', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
  field('17', 'Additional Information', 'additionalInfo', 'freeText'),
];

const handles = (list: string[]) => list as PocHandle[];

export const orgForm: FormDefinition = {
  name: 'ARIN-ORG',
  title: 'create, modify or remove an organization (Org ID)',
  actionKey: 'action',
  actions: ['N', 'M', 'R'],
  versions: [
    { major: 4, latestMinor: 1, fields: ORG_FIELDS },
    { major: 5, latestMinor: 2, fields: [apiKeyField, ...ORG_FIELDS] },
  ],
  build: ({ action, values }) => {
    const handle = values.str('handle') as OrgHandle;
    if (action === 'R') {
      const remove: OrgRemove = { kind: 'org.remove', handle };
      return remove;
    }
    const multi = (key: string) => (values.given(key) ? handles(values.strs(key)) : undefined);
    if (action === 'M') {
      const changes = compact({
        legalName: values.str('legalName'),
        doingBusinessAs: values.patch('doingBusinessAs', values.str('doingBusinessAs')),
        taxId: values.patch('taxId', values.str('taxId')),
        ...addressPatch(values),
        adminPoc: values.str('adminPoc') as PocHandle | undefined,
        techPocs: multi('techPocs'),
        abusePocs: values.patch('abusePocs', multi('abusePocs')),
        nocPocs: values.patch('nocPocs', multi('nocPocs')),
        referralServer: values.patch('referralServer', values.str('referralServer')),
        publicComments: values.patch(
          'publicComments',
          values.given('publicComments') ? values.strs('publicComments') : undefined,
        ),
      });
      if (!requireSomeChange(values, changes, 'action')) return undefined;
      const modify: OrgModify = compact({
        kind: 'org.modify',
        handle,
        changes,
        additionalInfo: values.str('additionalInfo'),
      });
      return modify;
    }
    const address = postalAddress(values);
    if (!address) return undefined;
    const create: OrgCreate = compact({
      kind: 'org.create',
      legalName: values.str('legalName') ?? '',
      doingBusinessAs: values.str('doingBusinessAs'),
      taxId: values.str('taxId'),
      address,
      adminPoc: values.str('adminPoc') as PocHandle,
      techPocs: handles(values.strs('techPocs')),
      abusePocs: handles(values.strs('abusePocs')),
      nocPocs: handles(values.strs('nocPocs')),
      referralServer: values.str('referralServer'),
      publicComments: values.strs('publicComments'),
      additionalInfo: values.str('additionalInfo'),
    });
    return create;
  },
};
