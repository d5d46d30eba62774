import "server-only";
import type { AnalyzeFunction, AnalyzeOptions } from "@/lib/offline/analyzer";
import { buildStructure } from "@/lib/offline/structure/build-structure";
import type { DiagramStructure } from "@/lib/offline/structure/types";

export { buildStructure } from "@/lib/offline/structure/build-structure";
export { structureToDrawio } from "@/lib/offline/structure/to-drawio";
export { structureToMermaid } from "@/lib/offline/structure/to-mermaid";
export type * from "@/lib/offline/structure/types";

/**
 * The structure of a diagram image, read by `analyze` (the server's analysis thread, whose cache
 * a structure request shares with the answers about the same image).
 */
export async function analyzeStructure(analyze: AnalyzeFunction, image: Buffer, options?: AnalyzeOptions): Promise<DiagramStructure> {
  return buildStructure(await analyze(image, options));
}
