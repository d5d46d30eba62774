import { ANALYZE_FIELDS } from "@/lib/shared/analyze-contract";
import { explanationOf, unexplainedFailure } from "@/lib/client/server-error";

/**
 * The page's side of POST /api/structure: the diagram read by the offline analyzer, as a file to
 * open in draw.io or a Mermaid flowchart, whichever model answers questions about it.
 */

export type StructureFormat = "drawio" | "mermaid";

/** The file a format is saved as. */
export const STRUCTURE_EXTENSIONS: Record<StructureFormat, string> = { drawio: "drawio", mermaid: "mmd" };

export interface StructureFile {
  blob: Blob;
  /** The picked image's base name with the format's extension: `serverless-diagram.drawio`. */
  fileName: string;
}

const NETWORK_MESSAGE = "The server could not be reached. Check your connection and try again.";

/** Asks the server to read the diagram in `file`; throws an Error with a sentence to show when it cannot. */
export async function downloadStructure(file: File, format: StructureFormat, signal?: AbortSignal): Promise<StructureFile> {
  const form = new FormData();
  form.append(ANALYZE_FIELDS.image, file, file.name);
  let response: Response;
  try {
    response = await fetch(`/api/structure?format=${format}`, { method: "POST", body: form, signal, credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Error(NETWORK_MESSAGE);
  }
  if (!response.ok) throw new Error(await errorMessage(response));
  return { blob: await response.blob(), fileName: structureFileName(file.name, format) };
}

/**
 * A saved conversation's image (`name` without an extension: its title), read back from the server as a file to send again: in a saved
 * conversation the browser holds no picked file.
 */
export async function fetchImageFile(url: string, name: string, signal?: AbortSignal): Promise<File> {
  let response: Response;
  try {
    response = await fetch(url, { signal, credentials: "same-origin" });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Error(NETWORK_MESSAGE);
  }
  if (!response.ok) throw new Error(await errorMessage(response));
  const blob = await response.blob();
  const type = blob.type || "image/png";
  const extension = type === "image/jpeg" ? "jpg" : type === "image/webp" ? "webp" : "png";
  return new File([blob], `${name}.${extension}`, { type });
}

/** `serverless-diagram.png` → `serverless-diagram.drawio`; a name without a usable base becomes `diagram`. */
export function structureFileName(imageName: string, format: StructureFormat): string {
  const base = imageName
    .replace(/\.[^./\\]*$/, "")
    .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "-")
    .trim()
    .slice(0, 120);
  return `${base || "diagram"}.${STRUCTURE_EXTENSIONS[format]}`;
}

async function errorMessage(response: Response): Promise<string> {
  const explained = explanationOf(await response.text().catch(() => ""));
  if (explained) return explained.message;
  if (response.status === 413) return unexplainedFailure(413).message;
  return `The server could not read the diagram (HTTP ${response.status}). Please try again in a moment.`;
}
