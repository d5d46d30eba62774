import "server-only";
import type { Conversation, StoredTurn } from "@/lib/shared/history-contract";

/**
 * A saved conversation as a Markdown document a person can keep, paste into a review or a wiki:
 * the title, when it was asked, each task as a quote and each answer as written (its reasoning
 * folded away). The image is not embedded: it is downloaded from its own route.
 */
export function conversationMarkdown(conversation: Conversation): string {
  const image = conversation.image ? `, about a ${conversation.image.width}×${conversation.image.height} image` : "";
  const parts = [`# ${oneLine(conversation.title)}`, `_Asked ${conversation.createdAt}${image}; exported from Multimodal Reasoning Agent._`];
  conversation.turns.forEach((turn, index) => parts.push(turnMarkdown(turn, index + 1)));
  return `${parts.join("\n\n")}\n`;
}

function turnMarkdown(turn: StoredTurn, number: number): string {
  const lines = [`## ${number}. ${oneLine(turn.task).slice(0, 80)}`, quote(turn.task)];
  const answeredBy = [turn.model ?? turn.provider, statusNote(turn)].filter(Boolean).join(" · ");
  if (answeredBy) lines.push(`_${answeredBy}_`);
  if (turn.thoughts.trim()) lines.push(`<details><summary>Reasoning</summary>\n\n${turn.thoughts.trim()}\n\n</details>`);
  lines.push(turn.answer.trim() || "_No answer._");
  return lines.join("\n\n");
}

function statusNote(turn: StoredTurn): string | undefined {
  switch (turn.status) {
    case "complete":
      return turn.finishReason === "length" ? "cut short at the model's length limit" : undefined;
    case "stopped":
      return "stopped before the end";
    case "failed":
      return `failed: ${turn.errorMessage ?? turn.errorCode ?? "unknown error"}`;
    case "incomplete":
      return "incomplete: the server stopped while answering";
  }
}

function quote(text: string): string {
  return text
    .trim()
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** A file name from a title: letters, digits and dashes only, never empty. */
export function exportFileName(title: string, extension: string): string {
  const slug = title
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return `${slug || "conversation"}.${extension}`;
}
