// Reads a fetch() response body of Server-Sent Events (the OpenAI streaming
// format, which EventSource cannot POST for) and yields each event's data.
const EVENT_END = /\r?\n\r?\n/;

export async function* sseData(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let m;
    while ((m = EVENT_END.exec(buffer))) {
      const data = dataOf(buffer.slice(0, m.index));
      buffer = buffer.slice(m.index + m[0].length);
      if (data !== null) yield data;
    }
  }
  const data = dataOf(buffer);
  if (data !== null) yield data;
}

// The data lines of one event joined by newlines, or null when it has none
// (a comment, a keep-alive).
function dataOf(block) {
  const lines = block
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).replace(/^ /, ''));
  return lines.length ? lines.join('\n') : null;
}
