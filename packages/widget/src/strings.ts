/**
 * The widget's words in every language it ships. English is the reference; every other language
 * must define every key (the type enforces it), so a missing translation is a type error, not a
 * blank button.
 */
const en = {
  openChat: 'Open chat',
  closeChat: 'Close chat',
  message: 'Message',
  messagePlaceholder: 'Ask a question…',
  send: 'Send',
  stop: 'Stop',
  retry: 'Retry',
  sources: 'Sources',
  conversation: 'Conversation',
  typing: 'The assistant is typing',
  you: 'You',
  stateConnecting: 'Connecting…',
  stateOnline: 'Online',
  statusReconnecting: 'Reconnecting…',
  statusOffline: 'Offline',
  stateReconnecting: 'Reconnecting… your conversation is kept',
  stateOffline: 'Offline — your message will be sent when the connection returns',
  stateClosed: 'Disconnected',
  stateFailed: 'Could not connect',
  reasonNotAllowed: 'The chat is not enabled for this website.',
  reasonUnavailable: 'The chat service cannot be reached right now.',
  reasonOther: 'Something went wrong on our side.',
  errorCode: 'Code',
  queued: 'Will be sent when the connection returns',
  sending: 'Sending…',
  notSent: 'Not sent',
  answerStopped: 'Answer stopped.',
  answerInterrupted: 'The answer was interrupted.',
  answerFailed: 'The answer could not be completed.',
  poweredBy: 'Powered by MIPTech',
  newMessage: 'New message',
  defaultGreeting: 'Hi! How can I help you today?',
  defaultAssistantName: 'Assistant',
} as const;

export type StringKey = keyof typeof en;
export type Strings = Record<StringKey, string>;

const it: Strings = {
  openChat: 'Apri la chat',
  closeChat: 'Chiudi la chat',
  message: 'Messaggio',
  messagePlaceholder: 'Fai una domanda…',
  send: 'Invia',
  stop: 'Interrompi',
  retry: 'Riprova',
  sources: 'Fonti',
  conversation: 'Conversazione',
  typing: "L'assistente sta scrivendo",
  you: 'Tu',
  stateConnecting: 'Connessione in corso…',
  stateOnline: 'Online',
  statusReconnecting: 'Riconnessione…',
  statusOffline: 'Offline',
  stateReconnecting: 'Riconnessione in corso… la conversazione è conservata',
  stateOffline: 'Offline — il messaggio verrà inviato quando la connessione tornerà',
  stateClosed: 'Disconnesso',
  stateFailed: 'Connessione non riuscita',
  reasonNotAllowed: 'La chat non è abilitata per questo sito.',
  reasonUnavailable: 'Il servizio di chat non è raggiungibile in questo momento.',
  reasonOther: 'Si è verificato un problema da parte nostra.',
  errorCode: 'Codice',
  queued: 'Verrà inviato quando la connessione tornerà',
  sending: 'Invio in corso…',
  notSent: 'Non inviato',
  answerStopped: 'Risposta interrotta.',
  answerInterrupted: 'La risposta è stata interrotta.',
  answerFailed: 'Non è stato possibile completare la risposta.',
  poweredBy: 'Realizzato con MIPTech',
  newMessage: 'Nuovo messaggio',
  defaultGreeting: 'Ciao! Come posso aiutarti oggi?',
  defaultAssistantName: 'Assistente',
};

const catalog = { en, it } as const satisfies Record<string, Strings>;
export type Language = keyof typeof catalog;

/**
 * Picks the first supported language among the candidates (BCP 47 tags such as `it-IT`), in order
 * of preference; English when none matches.
 */
export function pickLanguage(...candidates: Array<string | null | undefined>): Language {
  for (const candidate of candidates) {
    const base = candidate?.trim().toLowerCase().split(/[-_]/)[0];
    if (base && Object.prototype.hasOwnProperty.call(catalog, base)) return base as Language;
  }
  return 'en';
}

/** The strings of one language. */
export function stringsFor(language: Language): Strings {
  return catalog[language];
}
