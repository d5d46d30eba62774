import { Alert } from "@/components/ui/alert";
import type { AnswerState } from "@/lib/client/answer-state";

/**
 * What is said under an answer about how it ended, and whether it is saved. Without hooks, so the
 * shared page (a server component) says the same as the live page.
 */
export function AnswerNotes({ answer }: { answer: AnswerState }) {
  const cutOff = cutOffNote(answer);
  return (
    <>
      {answer.phase === "stopped" && (
        <p className="text-sm text-muted-foreground italic" data-testid="stopped-note">
          {answer.markdown ? "Stopped before the answer was finished." : "Stopped before the model answered."}
        </p>
      )}
      {cutOff && <Alert data-testid="cut-off-note">{cutOff}</Alert>}
      {answer.error && <Alert>{answer.error}</Alert>}
      {answer.unsaved && (
        // Polite: the answer itself goes on, and is what the person is reading. The server's
        // sentence says it whole ("This answer is not being saved: …").
        <p role="status" className="text-xs text-muted-foreground" data-testid="unsaved-note">
          {answer.unsaved}
        </p>
      )}
    </>
  );
}

/**
 * Said plainly next to an answer that is not whole: a truncated answer can read as complete, and
 * a person acting on half a design review is worse off than one who knows to ask again.
 */
function cutOffNote(answer: AnswerState): string | null {
  if (answer.phase === "interrupted") {
    return answer.markdown
      ? "The answer was cut off: the server stopped while it was being written. What was saved is shown above."
      : "The server stopped before the model answered.";
  }
  if (answer.phase !== "done") return null;
  switch (answer.finish?.finishReason) {
    case "incomplete":
      return "The answer was cut off: the model's stream ended before the model said it had finished. What arrived is shown above; retry for the whole answer.";
    case "length":
      return "The answer was cut off at the model's length limit. What arrived is shown above.";
    default:
      return null;
  }
}
