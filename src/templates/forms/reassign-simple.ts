/**
 * ARIN-REASSIGN-SIMPLE: reassign a block to a customer (no POCs: the customer inherits ours).
 * Three layouts: 3.0 (2002, `5a./5b.` address lines, no origin AS), 4.1 (no Private), 5.x.
 */
import type { FieldSpec, FormDefinition } from '../definition.ts';
import type {
  CountryCode,
  ReassignSimpleCreate,
  ReassignSimpleModify,
  ReassignSimpleRemove,
} from '../requests.ts';
import {
  ALWAYS,
  addressPatch,
  apiKeyField,
  compact,
  field,
  NEW,
  postalAddress,
  requireSomeChange,
} from './common.ts';

const V5: readonly FieldSpec[] = [
  apiKeyField,
  field('01', 'Registration Action', 'action', 'action', { hint: 'N, M or R', required: ALWAYS }),
  field('02', 'Network Name', 'networkName', 'netName'),
  field('03', 'IP Address and Prefix or Range', 'range', 'ipRange', { required: ALWAYS }),
  field('04', 'Origin AS', 'originAs', 'originAs'),
  field('05', 'Private', 'privateResidence', 'yesNo', { hint: 'Yes or No' }),
  field('06', 'Customer Name', 'customerName', 'text', { required: NEW }),
  field('07', 'Customer Address', 'street', 'text', { multi: 10, required: NEW }),
  field('08', 'Customer City', 'city', 'text', { required: NEW }),
  field('09', 'Customer State/Province', 'state', 'text'),
  field('10', 'Customer Postal Code', 'postalCode', 'text', { maxLength: 20 }),
  field('11', 'Customer Country Code', 'country', 'country', { required: NEW }),
  field('12', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
  field('13', 'Additional Information', 'additionalInfo', 'freeText'),
];

const V4: readonly FieldSpec[] = [
  field('01', 'Registration Action', 'action', 'action', { hint: 'N,M, or R', required: ALWAYS }),
  field('02', 'Network Name', 'networkName', 'netName'),
  field('03', 'IP Address and Prefix or Range', 'range', 'ipRange', { required: ALWAYS }),
  field('04', 'Origin AS', 'originAs', 'originAs'),
  field('05', 'Customer Name', 'customerName', 'text', { required: NEW }),
  field('06', 'Customer Address', 'street', 'text', { multi: 10, required: NEW }),
  field('07', 'Customer City', 'city', 'text', { required: NEW }),
  field('08', 'Customer State/Province', 'state', 'text'),
  field('09', 'Customer Postal Code', 'postalCode', 'text', { maxLength: 20 }),
  field('10', 'Customer Country Code', 'country', 'country', { required: NEW }),
  field('11', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
  field('12', 'Additional Information', 'additionalInfo', 'freeText'),
];

const V3: readonly FieldSpec[] = [
  field('1', 'Registration Action', 'action', 'action', { hint: 'N,M, or R', required: ALWAYS }),
  field('2', 'Network Name', 'networkName', 'netName'),
  field('3', 'IP Address and Prefix or Range', 'range', 'ipRange', { required: ALWAYS }),
  field('4', 'Customer Name', 'customerName', 'text', { required: NEW }),
  field('5', 'Customer Address', 'street', 'text', { multi: 10, required: NEW, printedAs: ['5a', '5b'] }),
  field('6', 'Customer City', 'city', 'text', { required: NEW }),
  field('7', 'Customer State/Province', 'state', 'text'),
  field('8', 'Customer Postal Code', 'postalCode', 'text', { maxLength: 20 }),
  field('9', 'Customer Country Code', 'country', 'country', { required: NEW }),
  field('10', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
  field('11', 'Additional Information', 'additionalInfo', 'freeText'),
];

export const reassignSimpleForm: FormDefinition = {
  name: 'ARIN-REASSIGN-SIMPLE',
  title: 'reassign addresses to a customer without POCs of its own, or modify/remove such a reassignment',
  actionKey: 'action',
  actions: ['N', 'M', 'R'],
  versions: [
    { major: 3, latestMinor: 0, fields: V3 },
    { major: 4, latestMinor: 1, fields: V4 },
    { major: 5, latestMinor: 3, fields: V5 },
  ],
  build: ({ action, values }) => {
    const range = values.range('range');
    if (!range) return undefined;
    if (action === 'R') {
      const remove: ReassignSimpleRemove = { kind: 'reassign-simple.remove', range };
      return remove;
    }
    if (action === 'M') {
      const address = addressPatch(values);
      const changes = compact({
        networkName: values.patch('networkName', values.str('networkName')),
        originAs: values.patch('originAs', values.numbers('originAs')),
        customerName: values.str('customerName'),
        privateResidence: values.bool('privateResidence'),
        ...address,
        country: address.country as CountryCode | undefined,
        publicComments: values.patch(
          'publicComments',
          values.given('publicComments') ? values.strs('publicComments') : undefined,
        ),
      });
      if (!requireSomeChange(values, changes, 'range')) return undefined;
      const modify: ReassignSimpleModify = { kind: 'reassign-simple.modify', range, changes };
      return modify;
    }
    const address = postalAddress(values);
    if (!address) return undefined;
    const create: ReassignSimpleCreate = compact({
      kind: 'reassign-simple.create',
      range,
      networkName: values.str('networkName'),
      originAs: values.numbers('originAs') ?? [],
      customer: {
        name: values.str('customerName') ?? '',
        privateResidence: values.bool('privateResidence') ?? false,
        address,
      },
      publicComments: values.strs('publicComments'),
    });
    return create;
  },
};
