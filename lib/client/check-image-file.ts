import { formatBytes } from "@/lib/shared/format";

export const ACCEPT_ATTRIBUTE = "image/jpeg,image/png,.jpg,.jpeg,.png";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/**
 * The browser's check before anything is sent, so a wrong file fails in a second instead of
 * after a long upload. It reads the first bytes like the server does; the server still decides.
 * Returns a sentence for the person, or null when the file may be sent.
 */
export async function checkImageFile(file: File, maxBytes: number): Promise<string | null> {
  if (file.size === 0) return `“${file.name}” is empty.`;
  if (file.size > maxBytes) {
    return `“${file.name}” is ${formatBytes(file.size)}; the limit is ${formatBytes(maxBytes)}.`;
  }
  const head = new Uint8Array(await file.slice(0, PNG_SIGNATURE.length).arrayBuffer());
  if (!startsWith(head, PNG_SIGNATURE) && !startsWith(head, JPEG_SIGNATURE)) {
    return `“${file.name}” is not a JPEG or PNG image. Export the diagram as PNG or JPG and try again.`;
  }
  return null;
}

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return signature.every((byte, index) => bytes[index] === byte);
}
