/**
 * ARIN-NET-MOD and ARIN-IPv6-NET-MOD: modify (M) or remove (R) a net found by its range.
 * Version 4 also carries reverse name servers. Both carry Additional Information, a note to the
 * hostmaster kept on the ticket (ARIN printed it on 4.x and 5.x alike).
 */
import type { FieldSpec, FormDefinition } from '../definition.ts';
import type { NetModify, NetRemove, PocHandle } from '../requests.ts';
import { ALWAYS, apiKeyField, compact, field, requireSomeChange } from './common.ts';

type IpFamily = 4 | 6;

function rangeField(family: IpFamily): FieldSpec {
  return family === 6
    ? field('02', 'IPv6 Address and Prefix', 'range', 'ipv6Range', { required: ALWAYS })
    : field('02', 'IP Address and Prefix or Range', 'range', 'ipv4Range', { required: ALWAYS });
}

const actionField = field('01', 'Registration Action', 'action', 'action', {
  hint: 'M to modify or R to remove',
  required: ALWAYS,
});

function version5(family: IpFamily): FieldSpec[] {
  return [
    apiKeyField,
    actionField,
    rangeField(family),
    field('03', 'Network Name', 'networkName', 'netName'),
    field('04', 'Origin AS', 'originAs', 'originAs'),
    field('05', 'Tech POC Handle', 'techPoc', 'pocHandle'),
    field('06', 'Abuse POC Handle', 'abusePoc', 'pocHandle'),
    field('07', 'NOC POC Handle', 'nocPoc', 'pocHandle'),
    field('08', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
    field('09', 'Additional Information', 'additionalInfo', 'freeText'),
  ];
}

function version4(family: IpFamily): FieldSpec[] {
  return [
    actionField,
    rangeField(family),
    field('03', 'Network Name', 'networkName', 'netName'),
    field('04', 'Origin AS', 'originAs', 'originAs'),
    field('05', 'Hostname of DNS Reverse Mapping Nameserver', 'reverseNameservers', 'hostname', {
      multi: 13,
    }),
    field('06', 'Tech POC Handle', 'techPoc', 'pocHandle'),
    field('07', 'Abuse POC Handle', 'abusePoc', 'pocHandle'),
    field('08', 'NOC POC Handle', 'nocPoc', 'pocHandle'),
    field('09', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
    field('10', 'Additional Information', 'additionalInfo', 'freeText'),
  ];
}

function netModForm(name: string, family: IpFamily): FormDefinition {
  return {
    name,
    title: `modify or remove an IPv${family} network (name, origin AS, POCs, comments)`,
    actionKey: 'action',
    actions: ['M', 'R'],
    versions: [
      { major: 4, latestMinor: 1, fields: version4(family) },
      { major: 5, latestMinor: 3, fields: version5(family) },
    ],
    build: ({ action, values }) => {
      const range = values.range('range');
      if (!range) return undefined;
      const additionalInfo = values.str('additionalInfo');
      if (action === 'R') {
        const remove: NetRemove = compact({ kind: 'net.remove', range, additionalInfo });
        return remove;
      }
      if (values.cleared('networkName')) {
        values.report(
          'networkName',
          'E_CANNOT_CLEAR',
          'a network must keep a name; leave the field blank to keep the current one',
        );
        return undefined;
      }
      const poc = (key: string) => values.patch(key, values.str(key) as PocHandle | undefined);
      const changes = compact({
        networkName: values.str('networkName'),
        originAs: values.patch('originAs', values.numbers('originAs')),
        techPoc: poc('techPoc'),
        abusePoc: poc('abusePoc'),
        nocPoc: poc('nocPoc'),
        reverseNameservers: values.patch(
          'reverseNameservers',
          values.given('reverseNameservers') ? values.strs('reverseNameservers') : undefined,
        ),
        publicComments: values.patch(
          'publicComments',
          values.given('publicComments') ? values.strs('publicComments') : undefined,
        ),
      });
      if (!requireSomeChange(values, changes, 'action')) return undefined;
      const modify: NetModify = compact({ kind: 'net.modify', range, changes, additionalInfo });
      return modify;
    },
  };
}

export const netModForm4 = netModForm('ARIN-NET-MOD', 4);
export const netModForm6 = netModForm('ARIN-IPv6-NET-MOD', 6);
