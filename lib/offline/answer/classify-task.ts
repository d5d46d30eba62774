import "server-only";
/** What a task asks of the offline analyzer, which can read a diagram but not reason about it. */
export type TaskKind = "explain" | "list" | "component" | "mermaid" | "judgement" | "other";

const MERMAID = /\bmermaid\b/i;
const LIST = /\b(list|enumerate|inventory)\b|\b(as|in)\s+a\s+table\b|\b(every|all|which)\s+(of\s+the\s+)?(components?|services?|parts?|nodes?)\b/i;
const EXPLAIN = /\b(explain|describe|walk\s*(me\s*)?through|overview|summari[sz]e|summary)\b|\bwhat\s+(is|does)\s+this\b|\b(this|the|whole)\s+(diagram|architecture|image|picture|system|design|pipeline)\b/i;
/** Questions that need judgement: risks, security, cost, improvements. */
const JUDGEMENT = /\b(risks?|single points? of failure|spof|secur\w*|vulnerab\w*|cost|improve\w*|recommend\w*|review|bottlenecks?|scal\w*|resilien\w*|best practices?)\b/i;

/**
 * Sorts a task into what the offline analyzer can answer. `mentions` says whether the task
 * names a component of this diagram; a question about one component gets that component's story.
 */
export function classifyTask(task: string, mentionsComponent: boolean): TaskKind {
  if (MERMAID.test(task)) return "mermaid";
  if (JUDGEMENT.test(task)) return "judgement";
  if (LIST.test(task)) return "list";
  if (mentionsComponent && !EXPLAIN.test(task)) return "component";
  if (EXPLAIN.test(task)) return "explain";
  return mentionsComponent ? "component" : "other";
}
