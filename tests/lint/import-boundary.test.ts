import path from "node:path";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The lint rule that keeps server modules out of the page (eslint.config.mjs), checked on code
 * written here: it must fire on a server import from browser code and stay quiet on allowed ones.
 */
const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, "../..") });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === "no-restricted-imports").map((message) => message.message);
}

describe("the import boundary between browser and server code", () => {
  // The first lint loads every plugin of the config: seconds on a busy machine.
  beforeAll(() => eslint.lintText("", { filePath: "components/warm-up.tsx" }), 60_000);

  it("refuses a server module in a component", async () => {
    const errors = await boundaryErrors("components/probe.tsx", 'import { getConfig } from "@/lib/config";\nexport const x = getConfig;\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/server modules must not reach the page/);
  });

  it("refuses a server module in browser code under lib/client, however deep", async () => {
    const errors = await boundaryErrors("lib/client/probe.ts", 'import { prepareImage } from "@/lib/image/prepare-image";\nexport const x = prepareImage;\n');
    expect(errors).toHaveLength(1);
  });

  it("refuses anything but lib/shared in lib/shared", async () => {
    const client = await boundaryErrors("lib/shared/probe.ts", 'import { toAnalyzeEvent } from "@/lib/client/read-events";\nexport const x = toAnalyzeEvent;\n');
    const server = await boundaryErrors("lib/shared/probe.ts", 'import { getConfig } from "@/lib/config";\nexport const x = getConfig;\n');
    expect(client).toHaveLength(1);
    expect(server).toHaveLength(1);
  });

  it("lets components use lib/shared and lib/client", async () => {
    const code = 'import { formatBytes } from "@/lib/shared/format";\nimport { checkImageFile } from "@/lib/client/check-image-file";\nexport const x = [formatBytes, checkImageFile];\n';
    expect(await boundaryErrors("components/probe.tsx", code)).toEqual([]);
  });

  it("leaves server modules free to import each other", async () => {
    expect(await boundaryErrors("lib/analysis/probe.ts", 'import { getConfig } from "@/lib/config";\nexport const x = getConfig;\n')).toEqual([]);
  });
});

describe("the offline analyzer's entry point", () => {
  beforeAll(() => eslint.lintText("", { filePath: "lib/providers/warm-up.ts" }), 60_000);

  it("refuses a module behind it in a server module, however deep", async () => {
    const analyzer = await boundaryErrors("lib/providers/probe.ts", 'import { createWorkerAnalyzer } from "@/lib/offline/analyzer";\nexport const x = createWorkerAnalyzer;\n');
    const answer = await boundaryErrors("lib/analysis/probe.ts", 'import { OFFLINE_NOTICE } from "@/lib/offline/answer/compose-answer";\nexport const x = OFFLINE_NOTICE;\n');
    expect(analyzer).toHaveLength(1);
    expect(analyzer[0]).toMatch(/through its entry point/);
    expect(answer).toHaveLength(1);
  });

  it("lets server modules import the entry point", async () => {
    expect(await boundaryErrors("lib/providers/probe.ts", 'import { createWorkerAnalyzer } from "@/lib/offline";\nexport const x = createWorkerAnalyzer;\n')).toEqual([]);
  });

  it("lets the analyzer's own modules, its tests and benchmarks reach inside", async () => {
    const code = 'import { analyzeImage } from "@/lib/offline/analyze-image";\nexport const x = analyzeImage;\n';
    for (const filePath of ["lib/offline/worker/probe.ts", "tests/offline/probe.test.ts", "bench/probe.ts"]) {
      expect(await boundaryErrors(filePath, code)).toEqual([]);
    }
  });

  it("still keeps it out of browser code", async () => {
    const errors = await boundaryErrors("components/probe.tsx", 'import { OFFLINE_NOTICE } from "@/lib/offline";\nexport const x = OFFLINE_NOTICE;\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/server modules must not reach the page/);
  });
});
