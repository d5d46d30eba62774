import { getConfig, type AppConfig } from "@/lib/config";
import { createGeminiProvider } from "@/lib/providers/gemini";
import { createOfflineProvider } from "@/lib/providers/offline";
import type { Provider } from "@/lib/providers/types";

let cached: { config: AppConfig; provider: Provider } | undefined;

/** The provider chosen by the configuration (LLM_PROVIDER, else Gemini when keyed, else offline). */
export function getProvider(config: AppConfig = getConfig()): Provider {
  if (cached?.config !== config) cached = { config, provider: createProvider(config) };
  return cached.provider;
}

function createProvider(config: AppConfig): Provider {
  switch (config.provider) {
    case "gemini":
      // parseConfig guarantees the settings exist when Gemini is chosen.
      return createGeminiProvider(config.gemini!, { maxRetries: config.model.maxRetries });
    case "offline":
      return createOfflineProvider();
  }
}
