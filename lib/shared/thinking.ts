/**
 * How long a model that can think should think before it answers: Gemini's thinking levels,
 * which the page offers as "Depth".
 */
export const THINKING_DEPTHS = ["minimal", "low", "medium", "high"] as const;
export type ThinkingDepth = (typeof THINKING_DEPTHS)[number];
