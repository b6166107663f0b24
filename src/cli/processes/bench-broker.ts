import { Lab } from '../../lab/lab.ts'
import type { PipelineMode } from '../../bench/target-spec.ts'
import { silentLogger } from '../../util/log.ts'
import { benchRegistry } from '../../bench/bench-registry.ts'
import { LoopDelayLog } from '../../bench/loop-delay.ts'
import type { FromBroker, ToBroker } from '../../bench/broker-protocol.ts'
import { SubscriberWatch } from '../../bench/subscriber-watch.ts'

/**
 * The embedded broker under test, in a process of its own: the generator cannot steal its event
 * loop, and its CPU and memory are its own (the coordinator reads them from /proc). It is a real
 * `Lab` — registry, ACL, security monitor, and the full pipeline (in a worker thread as `wardlab start` runs it, inline on the broker's thread, or off) —
 * listening on a free loopback port, with the bench fleet as its registry.
 */
function serve(): void {
  let lab: Lab | null = null
  let mode: PipelineMode = 'off'
  let clients = 0
  let watch: SubscriberWatch | null = null
  const loop = new LoopDelayLog()
  process.on('message', (message: ToBroker) => {
    if (message.type === 'start') {
      mode = message.pipeline
      const key = Buffer.from(message.key, 'base64')
      const registry = benchRegistry({ devices: message.devices, gateway: message.gateway, key })
      void Lab.start({
        registry,
        provisioningKey: key,
        profile: 'lab',
        listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' }],
        seed: message.seed,
        speed: 1,
        simulate: false,
        log: silentLogger,
        outputDir: message.outputDir,
        // Every bench connection comes from 127.0.0.1, where the per-address cap (there to keep one
        // host from taking a process's file descriptors) would refuse the fleet past 1,000; the
        // bench checks the descriptor budget itself before it starts (fd-budget.ts). Likewise the
        // per-address login budget (login-budget.ts: 20 logins awaiting their hash, there to stop
        // one host guessing passwords) charged the whole fleet's parallel logins to that one
        // address: on a loaded machine it refused 2-77 of 100 bench connections (CONNACK 5,
        // `too-many-failures`), so the broker ran with fewer publishers than the bare Aedes it was
        // compared with. Every login still costs its hash; the report names any refusal by reason.
        security: { maxConnectionsPerAddress: 0, loginBudget: { failures: 0 } },
        ...(mode === 'off' ? { pipeline: false as const } : { pipelineWorkers: mode === 'on' ? message.pipelineWorkers : 0 }),
        ...(message.cluster ? { cluster: message.cluster } : {}),
      }).then((started) => {
        lab = started
        started.broker.on('clientReady', () => clients++)
        watch = new SubscriberWatch(started.broker, started.signals)
        loop.start()
        process.send!({ type: 'ready', port: started.bound[0]!.port } satisfies FromBroker)
      })
    } else if (message.type === 'account') {
      process.send!({ type: 'account', account: watch!.account() } satisfies FromBroker)
    } else {
      void (async () => {
        // Devices have disconnected: stopping drains the pipeline of the last of their messages.
        await lab?.stop()
        const counts =
          mode !== 'off' && lab
            ? { pipeline: { ...lab.pipeline.counters }, quarantinedBy: Object.fromEntries(lab.pipeline.quarantinedBy) }
            : { pipeline: null, quarantinedBy: {} }
        process.send!({
          type: 'stopped',
          ...counts,
          clients,
          skippedDeliveries: lab?.shedding.skippedDeliveries ?? 0,
          loopDelay: loop.stop(),
        } satisfies FromBroker)
        process.disconnect()
      })()
    }
  })
}

serve()
