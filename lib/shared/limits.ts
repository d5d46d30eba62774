/**
 * The limits of a question, shared by the form that checks them on the server and the page that
 * keeps within them.
 */
export const MAX_PROMPT_CHARS = 10_000;
/** Earlier turns a follow-up may carry: their tasks and answers together, in characters. */
export const MAX_HISTORY_CHARS = 200_000;
export const MAX_HISTORY_TURNS = 50;
