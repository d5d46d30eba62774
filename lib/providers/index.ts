import "server-only";
import { getConfig, type AppConfig } from "@/lib/config";
import type { ProviderId, ProviderSummary } from "@/lib/shared/providers";
import { AppError } from "@/lib/shared/errors";
import { getAdmission } from "@/lib/analysis/admission";
import { createWorkerAnalyzer, type AnalyzeFunction } from "@/lib/offline";
import { createGeminiProvider } from "@/lib/providers/gemini";
import { createOfflineProvider } from "@/lib/providers/offline";
import { createOpenAICompatibleProvider } from "@/lib/providers/openai-compatible";
import type { Provider } from "@/lib/providers/types";

export interface ProviderRegistry {
  /** Answers requests that name no provider. */
  defaultProvider: Provider;
  /** Every provider a request may choose, the default first. */
  providers: Provider[];
  /** The provider a request asked for; 400 when it is not configured here. */
  choose(id: string | undefined): Provider;
  /** The offline analyzer's thread, which /api/structure shares with the offline provider (and its cache). */
  offlineAnalyze?: AnalyzeFunction;
}

/**
 * One registry per process, kept on globalThis: Next bundles each route apart, and a second copy
 * would start a second analysis thread with its own OCR engine.
 */
const holder = ((globalThis as { [key: symbol]: { cached?: { key: string; registry: ProviderRegistry } } })[
  Symbol.for("multimodal-reasoning-agent.providers")
] ??= {});

/**
 * The providers this server's configuration enables. The offline analyzer is always offered: it
 * needs nothing, and it is what a team picks when a diagram must not leave the network.
 */
export function getProviders(config: AppConfig = getConfig()): ProviderRegistry {
  const key = JSON.stringify(config);
  if (holder.cached?.key !== key) holder.cached = { key, registry: createRegistry(config) };
  return holder.cached.registry;
}

export function summarise(provider: Provider): ProviderSummary {
  return {
    provider: provider.id,
    model: provider.model,
    label: provider.label,
    depths: provider.depths,
    ...(provider.defaultDepth ? { defaultDepth: provider.defaultDepth } : {}),
  };
}

function createRegistry(config: AppConfig): ProviderRegistry {
  const options = { maxRetries: config.model.maxRetries };
  const available = new Map<ProviderId, Provider>();
  if (config.gemini) available.set("gemini", createGeminiProvider(config.gemini, options));
  if (config.openai) available.set("openai", createOpenAICompatibleProvider(config.openai, options));
  const { offline } = config;
  const analyze = createWorkerAnalyzer({
    queue: getAdmission(config).offlineAnalysis,
    budget: { maxTextLines: offline.maxTextLines, ocrMs: offline.ocrBudgetMs },
    cacheBytes: offline.cacheBytes,
  });
  available.set("offline", createOfflineProvider(analyze));

  // parseConfig only names a default whose settings are present.
  const defaultProvider = available.get(config.provider) ?? [...available.values()][0]!;
  const providers = [defaultProvider, ...[...available.values()].filter((provider) => provider !== defaultProvider)];
  return {
    defaultProvider,
    providers,
    offlineAnalyze: analyze,
    choose(id) {
      if (id === undefined) return defaultProvider;
      const provider = available.get(id as ProviderId);
      if (!provider) {
        const names = providers.map((each) => each.id).join(", ");
        throw new AppError("invalid_request", `The provider “${id}” is not configured on this server; choose one of: ${names}.`);
      }
      return provider;
    },
  };
}
