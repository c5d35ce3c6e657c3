/**
 * Normalises extracted text before hashing and chunking, so the same content always hashes the
 * same whatever line endings, trailing spaces or invisible characters the source had.
 */
export function normalizeText(text: string): string {
  const lines = text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    // Zero-width characters, BOM and soft hyphens change the hash without changing the content.
    .replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, '')
    .replace(/\u00A0/g, ' ')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''));
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
