/**
 * ARIN-REASSIGN-DETAILED, ARIN-REALLOCATE, ARIN-IPv6-REASSIGN, ARIN-IPv6-REALLOCATE: one
 * layout family, built by one factory. Version 4 embeds the downstream org and POCs to create;
 * version 5 names an existing org and retires fields 02-19 (data there is refused). What differs
 * is declared on each version (`SubdelegationVersion`), not guessed from the fields present.
 */
import type { FieldSpec, FormDefinition, FormVersion } from '../definition.ts';
import type { FieldValues } from '../field-values.ts';
import type {
  ContactType,
  DownstreamOrg,
  EmbeddedPoc,
  NetPoc,
  NetPocRole,
  OrgHandle,
  PocHandle,
  PocReference,
  Reallocate,
  ReassignDetailed,
} from '../requests.ts';
import { type AddressKeys, apiKeyField, compact, field, NEW, postalAddress } from './common.ts';

type IpFamily = 4 | 6;

function retiredFields(): FieldSpec[] {
  const specs: FieldSpec[] = [];
  for (let n = 2; n <= 19; n++) {
    const number = String(n).padStart(2, '0');
    specs.push(
      field(number, 'Retired', `retired${number}`, 'text', {
        retired: 'the downstream org must already exist and be named by its Org ID in field 01',
        multi: 50,
        skippedWhen: 'orgHandle',
      }),
    );
  }
  return specs;
}

function version5(family: IpFamily): FieldSpec[] {
  const tail =
    family === 6
      ? [
          field('23', 'Justification', 'justification', 'freeText'),
          field('24', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
          field('25', 'Additional Information', 'additionalInfo', 'freeText'),
        ]
      : [
          field('23', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
          field('24', 'Additional Information', 'additionalInfo', 'freeText'),
        ];
  return [
    apiKeyField,
    field('01', 'Downstream Org ID', 'orgHandle', 'orgHandle', { required: NEW }),
    ...retiredFields(),
    field(
      '20',
      family === 6 ? 'IPv6 Address and Prefix or Range' : 'IP Address and Prefix or Range',
      'range',
      family === 6 ? 'ipv6Range' : 'ipv4Range',
      { required: NEW },
    ),
    field('21', 'Network Name', 'networkName', 'netName', { required: NEW }),
    field('22', 'Origin AS', 'originAs', 'originAs'),
    ...tail,
  ];
}

/** The POC block of version 4, for the org POC (08-19) and the net POC (25-36). */
/**
 * A POC named by its handle or written out to be created. The form: "Handle (or leave blank to
 * create the POC below)": with a handle, the lines below it are skipped (a billing system fills
 * every line it has), as for a Downstream Org ID, with one note, not refused.
 */
function embeddedPocFields(first: number, label: string, prefix: string): FieldSpec[] {
  const n = (offset: number) => String(first + offset).padStart(2, '0');
  const handle = field(n(0), `${label} Handle`, `${prefix}Handle`, 'pocHandle', {
    hint: 'or leave blank to create the POC below',
  });
  const details = [
    field(n(1), `${label} Contact Type`, `${prefix}ContactType`, 'contactType', { hint: 'P or R' }),
    field(n(2), `${label} Last Name or Role Account`, `${prefix}LastName`, 'text'),
    field(n(3), `${label} First Name`, `${prefix}FirstName`, 'text'),
    field(n(4), `${label} Company Name`, `${prefix}CompanyName`, 'text'),
    field(n(5), `${label} Address`, `${prefix}Street`, 'text', { multi: 10 }),
    field(n(6), `${label} City`, `${prefix}City`, 'text'),
    field(n(7), `${label} State/Province`, `${prefix}State`, 'text'),
    field(n(8), `${label} Postal Code`, `${prefix}PostalCode`, 'text', { maxLength: 20 }),
    field(n(9), `${label} Country Code`, `${prefix}Country`, 'country'),
    field(n(10), `${label} Office Phone Number`, `${prefix}Phone`, 'phone'),
    field(n(11), `${label} E-mail Address`, `${prefix}Email`, 'email'),
  ].map((spec) => ({ ...spec, skippedWhen: `${prefix}Handle` }));
  return [handle, ...details];
}

function version4(family: IpFamily): FieldSpec[] {
  return [
    field('01', 'Downstream Org ID', 'orgHandle', 'orgHandle', {
      hint: 'or leave blank to create the org below',
    }),
    // The form: "if Downstream Org ID is provided skip to line 20" (ARIN's transformer does).
    ...[
      field('02', 'Org Name', 'orgName', 'text'),
      field('03', 'Org Address', 'orgStreet', 'text', { multi: 10 }),
      field('04', 'Org City', 'orgCity', 'text'),
      field('05', 'Org State/Province', 'orgState', 'text'),
      field('06', 'Org Postal Code', 'orgPostalCode', 'text', { maxLength: 20 }),
      field('07', 'Org Country Code', 'orgCountry', 'country'),
      ...embeddedPocFields(8, 'Org POC', 'orgPoc'),
    ].map((spec) => ({
      ...spec,
      // Org ID first: with it, 02-19 are skipped whatever 08 says.
      skippedWhen: spec.skippedWhen ? ['orgHandle', spec.skippedWhen].flat() : 'orgHandle',
    })),
    field(
      '20',
      family === 6 ? 'IPv6 Address and Prefix or Range' : 'IP Address and Prefix or Range',
      'range',
      family === 6 ? 'ipv6Range' : 'ipv4Range',
      { required: NEW },
    ),
    field('21', 'Network Name', 'networkName', 'netName', { required: NEW }),
    field('22', 'Origin AS', 'originAs', 'originAs'),
    family === 6
      ? field('23', 'Justification', 'justification', 'freeText')
      : field('23', 'Hostname of DNS Reverse Mapping Nameserver', 'reverseNameservers', 'hostname', {
          multi: 13,
        }),
    field('24', 'Net POC Type', 'netPocType', 'netPocType', { hint: 'T, AB or N' }),
    ...embeddedPocFields(25, 'Net POC', 'netPoc'),
    field('37', 'Public Comments', 'publicComments', 'text', { multi: 50 }),
    field('38', 'Additional Information', 'additionalInfo', 'freeText'),
  ];
}

function pocKeys(prefix: string): AddressKeys {
  return {
    street: `${prefix}Street`,
    city: `${prefix}City`,
    state: `${prefix}State`,
    postalCode: `${prefix}PostalCode`,
    country: `${prefix}Country`,
  };
}

const POC_DETAIL_SUFFIXES = [
  'ContactType',
  'LastName',
  'FirstName',
  'CompanyName',
  'Street',
  'City',
  'State',
  'PostalCode',
  'Country',
  'Phone',
  'Email',
];

/** A POC named by handle, or written out to be created; undefined (and reported) when neither works. */
function pocReference(values: FieldValues, prefix: string, what: string): PocReference | undefined {
  const handle = values.str(`${prefix}Handle`) as PocHandle | undefined;
  const detailGiven = POC_DETAIL_SUFFIXES.some((s) => values.given(`${prefix}${s}`));
  if (handle) {
    if (detailGiven) {
      values.report(
        `${prefix}Handle`,
        'E_AMBIGUOUS_VALUE',
        `give either the ${what} handle or the details of a new ${what}, not both`,
      );
      return undefined;
    }
    return { handle };
  }
  const missing = ['ContactType', 'LastName', 'Street', 'City', 'Country', 'Phone', 'Email'].filter(
    (s) => !values.given(`${prefix}${s}`),
  );
  for (const suffix of missing) {
    values.report(
      `${prefix}${suffix}`,
      'E_MISSING_FIELD',
      `the ${what} has no handle, so this field is needed to create it`,
    );
  }
  const contactType = values.str(`${prefix}ContactType`) as ContactType | undefined;
  if (contactType === 'person' && !values.str(`${prefix}FirstName`)) {
    values.report(`${prefix}FirstName`, 'E_MISSING_FIELD', `the ${what} is a person and needs a first name`);
    return undefined;
  }
  const address = postalAddress(values, pocKeys(prefix));
  const officePhone = values.str(`${prefix}Phone`);
  const email = values.str(`${prefix}Email`);
  if (missing.length > 0 || !address || !contactType || !officePhone || !email) return undefined;
  const poc: EmbeddedPoc = compact({
    contactType,
    lastName: values.str(`${prefix}LastName`) ?? '',
    firstName: values.str(`${prefix}FirstName`),
    companyName: values.str(`${prefix}CompanyName`),
    address,
    officePhone,
    email,
  });
  return { create: poc };
}

const ORG_DETAIL_KEYS = [
  'orgName',
  'orgStreet',
  'orgCity',
  'orgState',
  'orgPostalCode',
  'orgCountry',
  'orgPocHandle',
  ...POC_DETAIL_SUFFIXES.map((s) => `orgPoc${s}`),
];

/** Version 5: the downstream org exists and is named by its Org ID (field 01, required). */
function namedOrg(values: FieldValues): DownstreamOrg | undefined {
  const handle = values.str('orgHandle') as OrgHandle | undefined;
  return handle ? { handle } : undefined;
}

/** Version 4: the downstream org named by its Org ID, or written out in 02-19 to be created. */
function namedOrWrittenOrg(values: FieldValues): DownstreamOrg | undefined {
  const handle = values.str('orgHandle') as OrgHandle | undefined;
  // With a handle, 02-19 are skipped before they reach here (skippedWhen), as the form says.
  if (handle) return { handle };
  const detailGiven = ORG_DETAIL_KEYS.some((k) => values.given(k));
  if (!detailGiven) {
    values.report(
      'orgHandle',
      'E_MISSING_FIELD',
      'give the Downstream Org ID, or the details of a new org in fields 02-19',
    );
    return undefined;
  }
  for (const key of ['orgName', 'orgStreet', 'orgCity', 'orgCountry']) {
    if (!values.given(key))
      values.report(key, 'E_MISSING_FIELD', 'the org has no Org ID, so this field is needed to create it');
  }
  const address = postalAddress(values, {
    street: 'orgStreet',
    city: 'orgCity',
    state: 'orgState',
    postalCode: 'orgPostalCode',
    country: 'orgCountry',
  });
  const poc = pocReference(values, 'orgPoc', 'org POC');
  const name = values.str('orgName');
  if (!name || !address || !poc) return undefined;
  return { create: { name, address, poc } };
}

/** Version 5: no net POC; the net takes the downstream org's. */
function noNetPocs(): NetPoc[] {
  return [];
}

/** Version 4: one optional net POC (24-36), by handle or written out to be created. */
function embeddedNetPoc(values: FieldValues): NetPoc[] | undefined {
  const anyGiven =
    values.given('netPocType') ||
    values.given('netPocHandle') ||
    POC_DETAIL_SUFFIXES.some((s) => values.given(`netPoc${s}`));
  if (!anyGiven) return [];
  const role = values.str('netPocType') as NetPocRole | undefined;
  if (!role) {
    values.report('netPocType', 'E_MISSING_FIELD', 'a net POC is given, so its type (T, AB or N) is needed');
    return undefined;
  }
  const poc = pocReference(values, 'netPoc', 'net POC');
  return poc ? [{ role, poc }] : undefined;
}

/** A version of the family: its fields, and how it names the downstream org and the net's POCs. */
interface SubdelegationVersion extends FormVersion {
  readonly downstreamOrg: (values: FieldValues) => DownstreamOrg | undefined;
  readonly netPocs: (values: FieldValues) => NetPoc[] | undefined;
}

function subdelegationVersions(family: IpFamily): SubdelegationVersion[] {
  return [
    {
      major: 4,
      latestMinor: 1,
      fields: version4(family),
      downstreamOrg: namedOrWrittenOrg,
      netPocs: embeddedNetPoc,
    },
    { major: 5, latestMinor: 4, fields: version5(family), downstreamOrg: namedOrg, netPocs: noNetPocs },
  ];
}

function subdelegationForm(
  name: string,
  kind: 'reassign-detailed' | 'reallocate',
  family: IpFamily,
  title: string,
): FormDefinition<SubdelegationVersion> {
  return {
    name,
    title,
    actions: ['N'],
    versions: subdelegationVersions(family),
    build: ({ values, version }) => {
      const range = values.range('range');
      const org = version.downstreamOrg(values);
      const pocs = version.netPocs(values);
      const networkName = values.str('networkName');
      if (!range || !org || !pocs || !networkName) return undefined;
      const request: ReassignDetailed | Reallocate = compact({
        kind,
        range,
        downstreamOrg: org,
        networkName,
        originAs: values.numbers('originAs') ?? [],
        justification: values.str('justification'),
        reverseNameservers: values.strs('reverseNameservers'),
        netPocs: pocs,
        publicComments: values.strs('publicComments'),
        additionalInfo: values.str('additionalInfo'),
      });
      return request;
    },
  };
}

export const reassignDetailedForm = subdelegationForm(
  'ARIN-REASSIGN-DETAILED',
  'reassign-detailed',
  4,
  'reassign IPv4 addresses to a downstream org with its own POCs',
);
export const reallocateForm = subdelegationForm(
  'ARIN-REALLOCATE',
  'reallocate',
  4,
  'reallocate IPv4 addresses to a downstream ISP',
);
export const ipv6ReassignForm = subdelegationForm(
  'ARIN-IPv6-REASSIGN',
  'reassign-detailed',
  6,
  'reassign IPv6 addresses to a downstream org',
);
export const ipv6ReallocateForm = subdelegationForm(
  'ARIN-IPv6-REALLOCATE',
  'reallocate',
  6,
  'reallocate IPv6 addresses to a downstream ISP',
);
