"use client";

import { useId, type ReactNode } from "react";
import type { ThinkingDepth } from "@/lib/shared/thinking";
import type { ProviderSummary } from "@/lib/shared/providers";

interface SelectFieldProps<Value extends string> {
  label: string;
  value: Value | undefined;
  /** Locked while an answer runs: a choice applies to the next question. */
  disabled: boolean;
  onChange(value: Value): void;
  /** A line under the select, read out as its description. */
  hint?: string;
  children: ReactNode;
}

function SelectField<Value extends string>({ label, value, disabled, onChange, hint, children }: SelectFieldProps<Value>) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor={id} className="font-medium">
        {label}
      </label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        aria-describedby={hint ? hintId : undefined}
        onChange={(event) => onChange(event.target.value as Value)}
        className="w-full rounded-lg border border-input bg-card px-3 py-2 shadow-sm focus-visible:outline-2 focus-visible:outline-ring disabled:opacity-60"
      >
        {children}
      </select>
      {hint && (
        <p id={hintId} className="text-xs text-muted-foreground">
          {hint}
        </p>
      )}
    </div>
  );
}

interface ModelPickerProps {
  providers: ProviderSummary[];
  value: ProviderSummary["provider"] | undefined;
  disabled: boolean;
  onChange(provider: ProviderSummary["provider"]): void;
}

/** Shown only when the server offers more than one provider. */
export function ModelPicker({ providers, value, disabled, onChange }: ModelPickerProps) {
  return (
    <SelectField label="Model" value={value} disabled={disabled} onChange={onChange}>
      {providers.map((each) => (
        <option key={each.provider} value={each.provider}>
          {each.label}
        </option>
      ))}
    </SelectField>
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

export type DepthChoice = ThinkingDepth | typeof MODEL_DEFAULT_DEPTH;

interface DepthPickerProps {
  provider: ProviderSummary;
  value: DepthChoice;
  disabled: boolean;
  onChange(depth: DepthChoice): void;
}

/** How long a model that thinks should think; only for providers that take it. */
export function DepthPicker({ provider, value, disabled, onChange }: DepthPickerProps) {
  return (
    <SelectField
      label="Depth"
      value={value}
      disabled={disabled}
      onChange={onChange}
      hint="How long the model reasons before it answers. Deeper is slower and often better on large diagrams."
    >
      {!provider.defaultDepth && <option value={MODEL_DEFAULT_DEPTH}>Model default</option>}
      {provider.depths.map((depth) => (
        <option key={depth} value={depth}>
          {DEPTH_LABELS[depth]}
        </option>
      ))}
    </SelectField>
  );
}
