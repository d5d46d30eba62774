import type { Provider, ProviderEvent } from "@/lib/providers/types";

const NOT_CONFIGURED_ANSWER = `**No model is configured on this server**, so this answer cannot describe your image yet. The image was received and prepared (%WIDTH% × %HEIGHT% px), but nothing here can read it.

To get real answers, set \`GEMINI_API_KEY\` (a key from https://aistudio.google.com/apikey), or point \`OPENAI_BASE_URL\` and \`OPENAI_MODEL\` at an OpenAI-compatible server with a vision model (Ollama, vLLM, LM Studio, OpenAI), in the server's environment or in \`.env.local\`, then restart the server. See the README's *Configuration* section for every option.`;

/**
 * The provider that answers when no model is configured. It says so plainly instead of
 * pretending to analyse the image, so the page still works end to end on a fresh machine.
 */
export function createOfflineProvider(): Provider {
  return {
    id: "offline",
    model: "none",
    label: "Offline · no model configured",
    async *analyze({ image }): AsyncGenerator<ProviderEvent> {
      yield {
        type: "delta",
        text: NOT_CONFIGURED_ANSWER.replace("%WIDTH%", String(image.width)).replace("%HEIGHT%", String(image.height)),
      };
      yield { type: "done", finishReason: "stop" };
    },
  };
}
