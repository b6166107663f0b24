import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { formatHl7Bench, runHl7Bench } from './hl7-bench.ts'

/**
 * The HL7 benchmark from a checkout, with Debian's python-hl7 as the receiver
 * (test/support/hl7-receiver.py, parsing and checking every message, printing nothing per
 * message) unless `--receiver mllp://host:port` names another. `wardlab bench --hl7` is the
 * same measurement against a receiver you run.
 *
 *   node --import tsx src/bench/hl7-throughput.ts [--beds 500] [--rounds 10] [--receiver mllp://127.0.0.1:2575]
 */
const { values } = parseArgs({ options: { beds: { type: 'string', default: '500' }, rounds: { type: 'string', default: '10' }, receiver: { type: 'string' } } })

async function pythonReceiver(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('/usr/bin/python3', ['test/support/hl7-receiver.py', JSON.stringify({ port: 0, report: 'none' })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
  return { url: `mllp://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, child }
}

const receiver = values.receiver ? { url: values.receiver, child: null } : await pythonReceiver()
const result = await runHl7Bench({
  url: receiver.url,
  beds: Number(values.beds),
  rounds: Number(values.rounds),
  label: values.receiver ?? 'python-hl7 (test/support/hl7-receiver.py)',
})
receiver.child?.kill()
console.error(formatHl7Bench(result))
console.log(JSON.stringify(result, null, 2))
if (!result.drained || result.acknowledged + result.deadLettered !== result.messages) process.exitCode = 1
