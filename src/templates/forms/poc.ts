/** ARIN-POC: create (N), modify (M) or remove (R) a point of contact. Versions 4 and 5 (5 adds 00). */
import type { FieldSpec, FormDefinition } from '../definition.ts';
import type { FieldValues } from '../field-values.ts';
import type { ContactType, PocCreate, PocHandle, PocModify, PocRemove } from '../requests.ts';
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

const POC_FIELDS: readonly FieldSpec[] = [
  field('01', 'Registration Action', 'action', 'action', { hint: 'N, M or R', required: ALWAYS }),
  field('02', 'Existing POC Handle', 'handle', 'pocHandle', {
    hint: 'leave blank when creating',
    required: MODIFY_REMOVE,
    blankFor: NEW,
  }),
  field('03', 'Contact Type', 'contactType', 'contactType', { hint: 'P or R', required: NEW }),
  field('04', 'Last Name or Role Account', 'lastName', 'text', { required: NEW }),
  field('05', 'First Name', 'firstName', 'text'),
  field('06', 'Middle Name', 'middleName', 'text'),
  field('07', 'Company Name', 'companyName', 'text'),
  field('08', 'Address', 'street', 'text', { multi: 10, required: NEW }),
  field('09', 'City', 'city', 'text', { required: NEW }),
  field('10', 'State/Province', 'state', 'text'),
  field('11', 'Postal Code', 'postalCode', 'text', { maxLength: 20 }),
  field('12', 'Country Code', 'country', 'country', { required: NEW }),
  field('13', 'Office Phone Number', 'officePhones', 'phone', { multi: 5, required: NEW }),
  // Repeatable as 13 is: each extension line belongs to the phone line above it.
  field('14', 'Office Phone Number Extension', 'officePhoneExtension', 'phoneExtension', { multi: 5 }),
  field('15', 'E-mail Address', 'emails', 'email', { multi: 5, required: NEW }),
  field('16', 'Mobile', 'mobilePhone', 'phone'),
  field('17', 'Fax', 'fax', 'phone'),
  field('18', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
  // ARIN's POC model carries it (clients send it, empty or filled): a note to the hostmaster.
  field('19', 'Additional Information', 'additionalInfo', 'freeText'),
];

const CONTACT_TYPE_FIXED =
  'the contact type on line 03 cannot be changed: for a POC of the other type, create a new POC (action N)';

/**
 * The extension of each office phone, by position: an extension line belongs to the last phone
 * line above it (the first phone when none is above). Undefined when no extension is written.
 */
function officePhoneExtensions(values: FieldValues): (string | null)[] | undefined {
  const extensions = values.strs('officePhoneExtension');
  if (extensions.length === 0) return undefined;
  const phoneLines = values.linesOf('officePhones');
  const extensionLines = values.linesOf('officePhoneExtension');
  const byPhone: (string | null)[] = phoneLines.length > 0 ? phoneLines.map(() => null) : [null];
  extensions.forEach((extension, i) => {
    const line = extensionLines[i] ?? 0;
    let owner = 0;
    for (let p = 0; p < phoneLines.length; p++) if (phoneLines[p]! < line) owner = p;
    if (byPhone[owner] === null) byPhone[owner] = extension;
    else
      values.report(
        'officePhoneExtension',
        'E_TOO_MANY_VALUES',
        `office phone ${owner + 1} has two extensions (${byPhone[owner]} and ${extension}): write each extension on line 14 right under its phone on line 13`,
      );
  });
  return byPhone;
}

export const pocForm: FormDefinition = {
  name: 'ARIN-POC',
  title: 'create, modify or remove a point of contact (POC)',
  actionKey: 'action',
  actions: ['N', 'M', 'R'],
  versions: [
    { major: 4, latestMinor: 1, fields: POC_FIELDS },
    { major: 5, latestMinor: 1, fields: [apiKeyField, ...POC_FIELDS] },
  ],
  build: ({ action, values }) => {
    if (action === 'R') {
      const remove: PocRemove = compact({
        kind: 'poc.remove',
        handle: values.str('handle') as PocHandle,
        additionalInfo: values.str('additionalInfo'),
      });
      return remove;
    }
    if (action === 'M') {
      const fieldChanges = compact({
        lastName: values.str('lastName'),
        firstName: values.patch('firstName', values.str('firstName')),
        middleName: values.patch('middleName', values.str('middleName')),
        companyName: values.patch('companyName', values.str('companyName')),
        ...addressPatch(values),
        officePhones: values.given('officePhones') ? values.strs('officePhones') : undefined,
        officePhoneExtensions: values.patch('officePhoneExtension', officePhoneExtensions(values)),
        emails: values.given('emails') ? values.strs('emails') : undefined,
        mobilePhone: values.patch('mobilePhone', values.str('mobilePhone')),
        fax: values.patch('fax', values.str('fax')),
        publicComments: values.patch(
          'publicComments',
          values.given('publicComments') ? values.strs('publicComments') : undefined,
        ),
      });
      // The contact type of an existing POC cannot change, and billing systems resend the whole
      // form: a resent type is no change, but goes along for the registry to compare with the
      // stored one (the same: nothing to say; another: the reply says it was not changed).
      const contactType = values.str('contactType') as ContactType | undefined;
      const why = contactType ? CONTACT_TYPE_FIXED : undefined;
      if (!requireSomeChange(values, fieldChanges, 'action', why)) return undefined;
      const changes = contactType ? { ...fieldChanges, contactType } : fieldChanges;
      const modify: PocModify = compact({
        kind: 'poc.modify',
        handle: values.str('handle') as PocHandle,
        changes,
        additionalInfo: values.str('additionalInfo'),
      });
      return modify;
    }
    const contactType = values.str('contactType') as ContactType;
    if (contactType === 'person' && !values.str('firstName')) {
      values.report('firstName', 'E_MISSING_FIELD', 'a person POC needs a first name');
    }
    const address = postalAddress(values);
    if (!address) return undefined;
    const create: PocCreate = compact({
      kind: 'poc.create',
      contactType,
      lastName: values.str('lastName') ?? '',
      firstName: values.str('firstName'),
      middleName: values.str('middleName'),
      companyName: values.str('companyName'),
      address,
      officePhones: values.strs('officePhones'),
      officePhoneExtensions: officePhoneExtensions(values),
      emails: values.strs('emails'),
      mobilePhone: values.str('mobilePhone'),
      fax: values.str('fax'),
      publicComments: values.strs('publicComments'),
      additionalInfo: values.str('additionalInfo'),
    });
    return create;
  },
};
