"use client";

import { useState } from "react";
import type { AskOptions } from "@/components/hooks/use-conversation";
import { MODEL_DEFAULT_DEPTH, type DepthChoice } from "@/components/provider-controls";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface ProviderChoice {
  /** The provider that answers the next question; undefined only when the server offers none. */
  chosenProvider: ProviderSummary | undefined;
  chooseProvider(provider: ProviderSummary["provider"]): void;
  /** The chosen provider's depth. */
  depth: DepthChoice;
  chooseDepth(depth: DepthChoice): void;
  /** What a question is sent with, as the selects stand now. */
  askOptions(): AskOptions;
}

/** The Model and Depth selects: which provider answers the next question, and how long it thinks. */
export function useProviderChoice(providers: ProviderSummary[]): ProviderChoice {
  const [providerId, setProviderId] = useState(providers[0]?.provider);
  const chosenProvider = providers.find((each) => each.provider === providerId) ?? providers[0];
  // Each provider remembers its own depth: levels mean different things to different models.
  const [depthChoices, setDepthChoices] = useState<Partial<Record<string, DepthChoice>>>({});
  const depth: DepthChoice = (chosenProvider && depthChoices[chosenProvider.provider]) ?? chosenProvider?.defaultDepth ?? MODEL_DEFAULT_DEPTH;

  const chooseDepth = (choice: DepthChoice) => {
    if (!chosenProvider) return;
    setDepthChoices((choices) => ({ ...choices, [chosenProvider.provider]: choice }));
  };

  const askOptions = (): AskOptions => ({
    provider: chosenProvider?.provider,
    depth: chosenProvider?.depths.length && depth ? depth : undefined,
  });

  return { chosenProvider, chooseProvider: setProviderId, depth, chooseDepth, askOptions };
}
