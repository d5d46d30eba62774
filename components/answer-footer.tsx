import { isRunning, type AnswerState } from "@/lib/client/answer-state";
import { formatBytes } from "@/lib/shared/format";
import type { ProviderId, ProviderSummary } from "@/lib/shared/providers";

/**
 * How a provider is named when this server does not offer it (any more), or on a shared page,
 * whose readers need not learn the server's model addresses.
 */
const PROVIDER_NAMES: Record<ProviderId, string> = { gemini: "Gemini", openai: "OpenAI-compatible", offline: "Offline analyzer" };

/**
 * Which provider and model wrote this answer, from the stream's own `meta` (or the saved turn).
 * `providers` names the ones this server offers; others are shown by their provider and model.
 */
export function AnswerFooter({ answer, providers = [] }: { answer: AnswerState; providers?: ProviderSummary[] }) {
  const { meta, finish } = answer;
  if (!meta) return null;
  const known = providers.find((each) => each.provider === meta.provider && each.model === meta.model);
  const running = isRunning(answer);
  const facts = [
    `${running ? "Answering with" : "Answered by"} ${known?.label ?? `${PROVIDER_NAMES[meta.provider]} · ${meta.model}`}`,
    `image sent ${meta.image.width} × ${meta.image.height} px, ${formatBytes(meta.image.bytes)}`,
  ];
  if (finish?.usage?.totalTokens) facts.push(`${finish.usage.totalTokens.toLocaleString("en")} tokens`);
  if (finish?.finishReason === "length") facts.push("cut off at the model's length limit");
  return (
    <p className="border-t border-border pt-3 text-xs text-muted-foreground" data-testid="answer-footer">
      {facts.join(" · ")}
    </p>
  );
}
