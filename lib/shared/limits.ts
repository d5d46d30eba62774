/**
 * The limits of a question, shared by the form that checks them on the server and the page that
 * keeps within them.
 */
export const MAX_PROMPT_CHARS = 10_000;
/** Earlier turns a follow-up may carry: their tasks and answers together, in characters. */
export const MAX_HISTORY_CHARS = 200_000;
export const MAX_HISTORY_TURNS = 50;
/**
 * Most characters one answer may have, its reasoning included: far beyond any model's output
 * limit, so only a broken or hostile model server reaches it, and then the answer is cut there
 * rather than growing the server's memory, the saved history and the page without end.
 */
export const MAX_ANSWER_CHARS = 1_000_000;
