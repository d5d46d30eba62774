"use client";

import { useId } from "react";
import type { ProviderSummary } from "@/lib/providers";
import type { ThinkingDepth } from "@/lib/providers/thinking";

interface ModelPickerProps {
  providers: ProviderSummary[];
  value: string | undefined;
  /** Locked while an answer runs: the header names the provider answering. */
  disabled: boolean;
  onChange(provider: ProviderSummary["provider"]): void;
}

/** Shown only when the server offers more than one provider. */
export function ModelPicker({ providers, value, disabled, onChange }: ModelPickerProps) {
  const id = useId();
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor={id} className="font-medium">
        Model
      </label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        onChange={(event) => onChange(event.target.value as ProviderSummary["provider"])}
        className="w-full rounded-lg border border-input bg-card px-3 py-2 shadow-sm focus-visible:outline-2 focus-visible:outline-ring disabled:opacity-60"
      >
        {providers.map((each) => (
          <option key={each.provider} value={each.provider}>
            {each.label}
          </option>
        ))}
      </select>
    </div>
  );
}

const DEPTH_LABELS: Record<ThinkingDepth, string> = {
  minimal: "Minimal · fastest",
  low: "Low",
  medium: "Medium",
  high: "High · most thorough",
};

/** The value of the "model default" choice, offered when the server sets no default depth. */
export const MODEL_DEFAULT_DEPTH = "";

interface DepthPickerProps {
  provider: ProviderSummary;
  value: ThinkingDepth | typeof MODEL_DEFAULT_DEPTH;
  onChange(depth: ThinkingDepth | typeof MODEL_DEFAULT_DEPTH): void;
}

/** How long a model that thinks should think; only for providers that take it. */
export function DepthPicker({ provider, value, onChange }: DepthPickerProps) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor={id} className="font-medium">
        Depth
      </label>
      <select
        id={id}
        value={value}
        aria-describedby={hintId}
        onChange={(event) => onChange(event.target.value as ThinkingDepth | typeof MODEL_DEFAULT_DEPTH)}
        className="w-full rounded-lg border border-input bg-card px-3 py-2 shadow-sm focus-visible:outline-2 focus-visible:outline-ring"
      >
        {!provider.defaultDepth && <option value={MODEL_DEFAULT_DEPTH}>Model default</option>}
        {provider.depths.map((depth) => (
          <option key={depth} value={depth}>
            {DEPTH_LABELS[depth]}
          </option>
        ))}
      </select>
      <p id={hintId} className="text-xs text-muted-foreground">
        How long the model reasons before it answers. Deeper is slower and often better on large diagrams.
      </p>
    </div>
  );
}
