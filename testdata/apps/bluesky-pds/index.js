// The PDS service, as the official image's entry point runs it: the
// configuration and secrets come from the PDS_* environment variables
// (@atproto/pds's readEnv, envToCfg, envToSecrets), the server listens on
// PDS_PORT, and SIGTERM stops it cleanly.
import { PDS, envToCfg, envToSecrets, httpLogger, readEnv } from '@atproto/pds'
import pkg from '@atproto/pds/package.json' with { type: 'json' }

const env = readEnv()
env.version ||= pkg.version
const pds = await PDS.create(envToCfg(env), envToSecrets(env))
await pds.start()
httpLogger.info({ version: env.version }, 'pds has started')

process.on('SIGTERM', async () => {
  httpLogger.info('pds is stopping')
  await pds.destroy()
  httpLogger.info('pds is stopped')
})
