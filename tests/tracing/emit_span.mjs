// Sends spans through the OpenTelemetry JS SDK's OTLP/HTTP exporter (JSON encoding) to the URL
// in argv[2]: a root SERVER span and a CLIENT child with attributes of every value type, as a
// service instrumented with OpenTelemetry's own libraries would send them.
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';

const url = process.argv[2];
const exporter = new OTLPTraceExporter({ url });
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'otel-js' }),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
const tracer = provider.getTracer('otel-js-scope', '1.0.0');

const server = tracer.startSpan('GET /users/{id}', {
  kind: SpanKind.SERVER,
  attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.path': '/users/7' },
});
const client = tracer.startSpan(
  'GET',
  {
    kind: SpanKind.CLIENT,
    attributes: { 'server.address': '127.0.0.1', 'server.port': 8080, 'sampled.flag': true, 'ratio': 0.25 },
  },
  trace.setSpan(context.active(), server),
);
client.setStatus({ code: SpanStatusCode.ERROR });
client.end();
server.end();
await provider.forceFlush();
await provider.shutdown();
