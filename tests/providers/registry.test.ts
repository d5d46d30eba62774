import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { getProviders, summarise } from "@/lib/providers";

const GEMINI = { GEMINI_API_KEY: "gemini-secret", GEMINI_MODEL: "gemini-x" };
const OPENAI = { OPENAI_BASE_URL: "http://localhost:11434/v1", OPENAI_MODEL: "qwen2.5vl:7b", OPENAI_API_KEY: "openai-secret" };

const ids = (env: Record<string, string>) => getProviders(parseConfig(env)).providers.map((provider) => provider.id);

describe("provider choice", () => {
  it("offers only the offline provider when no model is configured", () => {
    expect(ids({})).toEqual(["offline"]);
  });

  it("defaults to Gemini when keyed, else to the OpenAI-compatible server", () => {
    expect(ids(GEMINI)).toEqual(["gemini"]);
    expect(ids(OPENAI)).toEqual(["openai"]);
    expect(ids({ ...OPENAI, ...GEMINI })).toEqual(["gemini", "openai"]);
  });

  it("puts the provider named by LLM_PROVIDER first", () => {
    expect(ids({ ...GEMINI, ...OPENAI, LLM_PROVIDER: "openai" })).toEqual(["openai", "gemini"]);
    expect(ids({ ...GEMINI, LLM_PROVIDER: "offline" })).toEqual(["offline", "gemini"]);
  });

  it("chooses the requested provider and the default when none is named", () => {
    const registry = getProviders(parseConfig({ ...GEMINI, ...OPENAI }));
    expect(registry.choose(undefined).id).toBe("gemini");
    expect(registry.choose("openai").id).toBe("openai");
    expect(registry.choose("gemini").id).toBe("gemini");
  });

  // The form turns a blank field into undefined (analyze-form.ts); "" reaching choose() is a name
  // like any other, and no provider has it.
  it.each(["offline", "anthropic", "", "OPENAI"])("refuses %j, which is not configured, with 400 naming the choices", (id) => {
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
    expect((error as AppError).message).toContain("choose one of: gemini, openai.");
  });

  it("describes providers by name and model, never by secret", () => {
    const summaries = getProviders(parseConfig({ ...GEMINI, ...OPENAI })).providers.map(summarise);
    expect(summaries).toEqual([
      { provider: "gemini", model: "gemini-x", label: "Gemini · gemini-x" },
      { provider: "openai", model: "qwen2.5vl:7b", label: "qwen2.5vl:7b · localhost:11434" },
    ]);
    expect(JSON.stringify(summaries)).not.toMatch(/secret/);
  });

  it("reuses the providers for the same configuration", () => {
    const config = parseConfig(GEMINI);
    expect(getProviders(config)).toBe(getProviders(config));
  });
});
