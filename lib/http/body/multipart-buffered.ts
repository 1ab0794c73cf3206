/**
 * Text fields of a buffered `multipart/form-data` body. Files are skipped: Sijax only needs its
 * own fields, and the whole body is already bounded by the module's body limit.
 */
export function parseMultipartFields(body: Buffer, contentType: string): Map<string, string> {
  const fields = new Map<string, string>();
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return fields;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const partStart = start + delimiter.length + 2; // skip CRLF after the delimiter
    const next = body.indexOf(delimiter, partStart);
    if (next < 0) break;
    const part = body.subarray(partStart, next - 2); // drop CRLF before the next delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const name = /content-disposition:[^\r\n]*?\bname="([^"]*)"/i.exec(headers);
      if (name && !/\bfilename\*?=/i.test(headers)) {
        fields.set(name[1], part.subarray(headerEnd + 4).toString('utf8'));
      }
    }
    start = next;
  }
  return fields;
}
