/**
 * The lines mail programs write above a message they forward or quote into the text, in the
 * languages they ship in (Outlook, Gmail, Thunderbird, Apple Mail; the main European and Asian
 * locales). A table, because every locale is a way around "what someone else wrote is not read";
 * inline-forward.ts also reads the structure (a dashed banner or a `...:` line over a header
 * block naming an address, in any script), so a locale missing here is still caught when its
 * header block follows.
 */

/**
 * Written between dashes (`-----Original Message-----`, `---------- Forwarded message ---------`,
 * `-------- 転送メッセージ --------`): Outlook's "Original Message" and Gmail's and Thunderbird's
 * "Forwarded Message", by language.
 */
export const DASHED_PHRASES: Readonly<Record<string, readonly string[]>> = {
  en: ['original message', 'forwarded message', 'forwarded by', 'message forwarded'],
  de: ['ursprüngliche nachricht', 'weitergeleitete nachricht', 'original-nachricht', 'originalnachricht'],
  fr: [
    "message d'origine",
    'message d’origine',
    'message transféré',
    'message original',
    'message réexpédié',
  ],
  es: ['mensaje original', 'mensaje reenviado'],
  it: ['messaggio originale', 'messaggio inoltrato'],
  pt: ['mensagem original', 'mensagem encaminhada', 'mensagem reencaminhada'],
  nl: ['oorspronkelijk bericht', 'origineel bericht', 'doorgestuurd bericht'],
  pl: [
    'oryginalna wiadomość',
    'wiadomość oryginalna',
    'przekazana wiadomość',
    'wiadomość przekazana dalej',
    'wiadomość przesłana dalej',
  ],
  sv: ['ursprungligt meddelande', 'originalmeddelande', 'vidarebefordrat meddelande', 'vidarebefordrat mejl'],
  da: ['oprindelig meddelelse', 'videresendt meddelelse', 'videresendt besked', 'original meddelelse'],
  nb: ['opprinnelig melding', 'videresendt melding', 'original melding'],
  fi: ['alkuperäinen viesti', 'välitetty viesti'],
  cs: ['původní zpráva', 'přeposlaná zpráva', 'přeposlaná zpráva'],
  sk: ['pôvodná správa', 'preposlaná správa'],
  hu: ['eredeti üzenet', 'továbbított üzenet'],
  ro: ['mesaj original', 'mesajul original', 'mesaj redirecționat', 'mesaj redirectionat'],
  ru: ['исходное сообщение', 'пересылаемое сообщение', 'пересланное сообщение', 'оригинальное сообщение'],
  uk: ['початкове повідомлення', 'оригінальне повідомлення', 'переслане повідомлення', 'пересланий лист'],
  bg: ['оригинално съобщение', 'препратено съобщение'],
  hr: ['izvorna poruka', 'proslijeđena poruka'],
  sl: ['izvirno sporočilo', 'posredovano sporočilo'],
  sr: ['originalna poruka', 'prosleđena poruka'],
  el: ['αρχικό μήνυμα', 'προωθημένο μήνυμα'],
  tr: [
    'özgün ileti',
    'orijinal mesaj',
    'orijinal ileti',
    'iletilen ileti',
    'yönlendirilmiş ileti',
    'yönlendirilen ileti',
  ],
  et: ['algne sõnum', 'edastatud sõnum'],
  lv: ['sākotnējais ziņojums', 'pārsūtīts ziņojums'],
  lt: ['pradinis laiškas', 'persiųstas laiškas'],
  ca: ['missatge original', 'missatge reenviat'],
  ja: ['元のメッセージ', '転送メッセージ', '転送されたメッセージ'],
  zh: ['原始邮件', '原始郵件', '转发的邮件', '轉寄的郵件', '已转发邮件', '转发邮件', '原邮件'],
  ko: ['원본 메시지', '전달된 메시지'],
  he: ['הודעה מקורית', 'הודעה שהועברה'],
  ar: ['الرسالة الأصلية', 'رسالة معاد توجيهها', 'رسالة مُعاد توجيهها'],
  vi: ['thư gốc', 'thư được chuyển tiếp'],
  th: ['ข้อความต้นฉบับ', 'ข้อความที่ส่งต่อ'],
  id: ['pesan asli', 'pesan yang diteruskan'],
};

/**
 * Written as a line of its own, a colon after it or not: Apple Mail's "Begin forwarded message:",
 * and the plain `Forwarded message:` / `Original message:` some clients and web mailers write.
 */
export const LINE_PHRASES: Readonly<Record<string, readonly string[]>> = {
  en: [
    'begin forwarded message',
    'forwarded message',
    'original message',
    'forwarded mail',
    'forwarded email',
  ],
  de: ['anfang der weitergeleiteten nachricht', 'weitergeleitete nachricht', 'ursprüngliche nachricht'],
  fr: ['début du message réexpédié', 'début du message transféré', 'message transféré'],
  es: ['inicio del mensaje reenviado', 'comienzo del mensaje reenviado', 'mensaje reenviado'],
  it: ['inizio messaggio inoltrato', 'messaggio inoltrato'],
  pt: ['início da mensagem reencaminhada', 'início da mensagem encaminhada', 'mensagem encaminhada'],
  nl: ['begin doorgestuurd bericht', 'doorgestuurd bericht'],
  pl: ['początek przekazywanej wiadomości', 'przekazana wiadomość'],
  sv: ['vidarebefordrat mejl', 'början på vidarebefordrat brev', 'vidarebefordrat meddelande'],
  da: ['videresendt besked', 'start på videresendt besked', 'videresendt meddelelse'],
  nb: ['videresendt melding', 'begynnelse på videresendt melding'],
  fi: ['välitetty viesti alkaa', 'välitetty viesti'],
  cs: ['začátek přeposílané zprávy', 'přeposlaná zpráva'],
  hu: ['továbbított levél kezdete', 'továbbított üzenet'],
  ru: ['начало переадресованного сообщения', 'пересылаемое сообщение'],
  uk: ['початок пересланого повідомлення', 'переслане повідомлення'],
  el: ['έναρξη προωθημένου μηνύματος', 'προωθημένο μήνυμα'],
  tr: ['iletilen ileti başlangıcı', 'yönlendirilmiş iletinin başlangıcı', 'iletilen ileti'],
  ja: ['転送されたメッセージ', '転送メッセージ'],
  zh: ['以下是转发的邮件', '转发的邮件', '開始轉寄郵件', '轉寄的郵件'],
  ko: ['전달된 메시지'],
};

/** The header labels of a quoted message's header block, by what they name (From, Sent/Date, To, Subject). */
export const FROM_LABELS = [
  'from',
  'von',
  'de',
  'van',
  'da',
  'od',
  'från',
  'fra',
  'lähettäjä',
  'feladó',
  'от',
  'від',
  'kimden',
  'από',
  '差出人',
  '发件人',
  '寄件者',
  '보낸 사람',
  'de la',
  'expéditeur',
  'remitente',
  'mittente',
  'remetente',
];
export const DATE_LABELS = [
  'sent',
  'date',
  'gesendet',
  'datum',
  'envoyé',
  'enviado',
  'enviada',
  'enviado el',
  'enviada em',
  'verzonden',
  'inviato',
  'fecha',
  'data',
  'wysłano',
  'skickat',
  'sendt',
  'lähetetty',
  'päivämäärä',
  'odesláno',
  'elküldve',
  'dátum',
  'отправлено',
  'дата',
  'надіслано',
  'gönderildi',
  'gönderilme',
  'tarih',
  'στάλθηκε',
  'ημερομηνία',
  '送信日時',
  '日付',
  '发送时间',
  '日期',
  '傳送時間',
  '보낸 날짜',
  '날짜',
  'trimis',
  'sent on',
];
export const TO_LABELS = [
  'to',
  'an',
  'à',
  'a',
  'para',
  'aan',
  'do',
  'till',
  'til',
  'vastaanottaja',
  'komu',
  'címzett',
  'кому',
  'kime',
  'προς',
  '宛先',
  '收件人',
  '收件者',
  '받는 사람',
  'către',
  'cc',
  'bcc',
  'kopia',
  'kopi',
  'kopio',
  'dw',
  'копия',
  'reply-to',
  'destinatario',
  'destinataire',
];
export const SUBJECT_LABELS = [
  'subject',
  'betreff',
  'objet',
  'asunto',
  'onderwerp',
  'oggetto',
  'assunto',
  'temat',
  'ämne',
  'emne',
  'aihe',
  'předmět',
  'tárgy',
  'тема',
  'konu',
  'θέμα',
  '件名',
  '主题',
  '主旨',
  '제목',
  'subiect',
  'predmet',
];

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternatives = (table: Readonly<Record<string, readonly string[]>> | readonly string[]) =>
  (Array.isArray(table) ? table : Object.values(table).flat())
    .toSorted((a: string, b: string) => b.length - a.length)
    .map(escaped)
    .join('|');

/** `-----<phrase>` at the start of a line (the dashes after it, and a name on Lotus's, vary). */
export const DASHED = new RegExp(`^-{2,}\\s*(?:${alternatives(DASHED_PHRASES)})(?![\\p{L}])`, 'iu');
/** A line that is one of LINE_PHRASES, a colon after it or not. */
export const LINE_PHRASE = new RegExp(`^(?:${alternatives(LINE_PHRASES)})\\s*[:：]?$`, 'iu');
export const SUBJECT_FIELD = new RegExp(`^(?:${alternatives(SUBJECT_LABELS)})$`, 'iu');
export const FROM_FIELD = new RegExp(`^(?:${alternatives(FROM_LABELS)})$`, 'iu');
export const DATE_FIELD = new RegExp(`^(?:${alternatives(DATE_LABELS)})$`, 'iu');
/** A header line whose label is one of the tables': `Von: ...`, `Wysłano: ...`, `件名: ...`. */
export const KNOWN_HEADER_LINE = new RegExp(
  `^\\*?(${alternatives([...FROM_LABELS, ...DATE_LABELS, ...TO_LABELS, ...SUBJECT_LABELS])})(?:\\s+(?:el|le|am|on|em))?\\*?\\s*[:：]`,
  'iu',
);
