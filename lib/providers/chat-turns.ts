import "server-only";
import type { AnalysisInput } from "@/lib/providers/types";

/** One message of the conversation a chat model reads, in words every provider maps to its own. */
export type ChatTurn = { role: "user"; text: string; withImage: boolean } | { role: "model"; text: string };

/**
 * The conversation in the order a chat model reads it: each earlier question and its answer, then
 * the new question. The image goes once, with the first question.
 */
export function chatTurns({ prompt, history }: Pick<AnalysisInput, "prompt" | "history">): ChatTurn[] {
  const questions = [...history.map((turn) => turn.task), prompt];
  return questions.flatMap((text, index): ChatTurn[] => {
    const question: ChatTurn = { role: "user", text, withImage: index === 0 };
    const answer = history[index]?.answer;
    return answer === undefined ? [question] : [question, { role: "model", text: answer }];
  });
}
