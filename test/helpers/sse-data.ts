// Server-sent events as the SDKs read them: the JSON of every `data: ` line of a streaming HTTP
// response, in order, as the bytes arrive. Only reads the body; the caller checks the response
// headers and ends the stream (abort signal or end of body).

/** Yields the parsed JSON of each `data: ` line; returns when the body ends. */
export async function* sseData(response: Response): AsyncGenerator<unknown> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('data: ')) yield JSON.parse(line.slice(6)) as unknown;
  }
}
