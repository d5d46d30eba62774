import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { AppError } from "@/lib/shared/errors";
import { getProviders, summarise } from "@/lib/providers";

const GEMINI = { GEMINI_API_KEY: "gemini-secret", GEMINI_MODEL: "gemini-3-x" };
const OPENAI = { OPENAI_BASE_URL: "http://localhost:11434/v1", OPENAI_MODEL: "qwen2.5vl:7b", OPENAI_API_KEY: "openai-secret" };

const ids = (env: Record<string, string>) => getProviders(parseConfig(env)).providers.map((provider) => provider.id);

describe("provider choice", () => {
  it("offers only the offline analyzer, as the default, when no model is configured", () => {
    expect(ids({})).toEqual(["offline"]);
    const registry = getProviders(parseConfig({}));
    expect(registry.defaultProvider.id).toBe("offline");
    expect(registry.choose(undefined).id).toBe("offline");
  });

  it("always offers the offline analyzer, after the configured models", () => {
    expect(ids(GEMINI)).toEqual(["gemini", "offline"]);
    expect(ids(OPENAI)).toEqual(["openai", "offline"]);
    expect(ids({ ...OPENAI, ...GEMINI })).toEqual(["gemini", "openai", "offline"]);
  });

  it("puts the provider named by LLM_PROVIDER first", () => {
    expect(ids({ ...GEMINI, ...OPENAI, LLM_PROVIDER: "openai" })).toEqual(["openai", "gemini", "offline"]);
    expect(ids({ ...GEMINI, LLM_PROVIDER: "offline" })).toEqual(["offline", "gemini"]);
    expect(ids({ ...GEMINI, ...OPENAI, LLM_PROVIDER: "offline" })).toEqual(["offline", "gemini", "openai"]);
  });

  it("chooses the requested provider and the default when none is named", () => {
    const registry = getProviders(parseConfig({ ...GEMINI, ...OPENAI }));
    expect(registry.defaultProvider.id).toBe("gemini");
    expect(registry.choose(undefined).id).toBe("gemini");
    expect(registry.choose("openai").id).toBe("openai");
    expect(registry.choose("gemini").id).toBe("gemini");
    expect(registry.choose("offline").id).toBe("offline");
  });

  it("lets a request choose the offline analyzer whatever else is configured", () => {
    for (const env of [{}, GEMINI, OPENAI, { ...GEMINI, LLM_PROVIDER: "gemini" }]) {
      const registry = getProviders(parseConfig(env));
      expect(registry.choose("offline")).toBe(registry.providers.find((provider) => provider.id === "offline"));
    }
  });

  // The form turns a blank field into undefined (analyze-form.ts); "" reaching choose() is a name
  // like any other, and no provider has it.
  it.each(["anthropic", "", "OPENAI", "Offline"])("refuses %j, which is not configured, with 400 naming the choices", (id) => {
    const registry = getProviders(parseConfig({ ...GEMINI, ...OPENAI }));
    let error: unknown;
    try {
      registry.choose(id);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, code: "invalid_request" });
    expect((error as AppError).message).toContain(`“${id}”`);
    expect((error as AppError).message).toContain("choose one of: gemini, openai, offline.");
  });

  it("refuses a model provider that is not configured, naming what is", () => {
    const registry = getProviders(parseConfig({}));
    expect(() => registry.choose("gemini")).toThrow("choose one of: offline.");
  });

  it("describes providers by name and model, never by secret", () => {
    const summaries = getProviders(parseConfig({ ...GEMINI, ...OPENAI })).providers.map(summarise);
    expect(summaries).toEqual([
      { provider: "gemini", model: "gemini-3-x", label: "Gemini · gemini-3-x", depths: ["minimal", "low", "medium", "high"] },
      { provider: "openai", model: "qwen2.5vl:7b", label: "qwen2.5vl:7b · localhost:11434", depths: [] },
      {
        provider: "offline",
        model: "PP-OCRv4 + layout + catalogue",
        label: "Offline analyzer · no model, nothing leaves the server",
        depths: [],
      },
    ]);
    expect(JSON.stringify(summaries)).not.toMatch(/secret/);
  });

  it("tells the page Gemini's default depth when GEMINI_THINKING_LEVEL sets one", () => {
    const [gemini] = getProviders(parseConfig({ ...GEMINI, GEMINI_THINKING_LEVEL: "low" })).providers.map(summarise);
    expect(gemini).toEqual({
      provider: "gemini",
      model: "gemini-3-x",
      label: "Gemini · gemini-3-x",
      depths: ["minimal", "low", "medium", "high"],
      defaultDepth: "low",
    });
  });

  it("reuses the providers for the same configuration", () => {
    const config = parseConfig(GEMINI);
    expect(getProviders(config)).toBe(getProviders(config));
  });
});
