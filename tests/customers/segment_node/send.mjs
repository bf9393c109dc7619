// Sends the calls given as JSON on argv[3] to the cxloop at argv[2] with Segment's official Node client, unchanged
// but for its host, then flushes. Exits non-zero if the client reports an error.
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, callsJson] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host, flushAt: 50, maxRetries: 0 })
const failures = []
analytics.on('error', (err) => failures.push(String(err.reason ?? err.code ?? err)))
for (const call of JSON.parse(callsJson)) {
  analytics[call.type](call.args)
}
await analytics.closeAndFlush({ timeout: 10000 })
if (failures.length) {
  console.error(failures.join('\n'))
  process.exit(1)
}
