'use strict'
// The PLC directory: @did-plc/server's PlcServer on PORT, with the
// server's in-memory database. PLC_VERSION names the version /_health
// reports. SIGTERM stops it cleanly.
const { Database, PlcServer } = require('@did-plc/server')

const main = async () => {
  const port = parseInt(process.env.PORT || '3000', 10)
  const plc = PlcServer.create({ db: Database.mock(), port, version: process.env.PLC_VERSION || '0.0.1' })
  await plc.start()
  console.log(`plc directory listening on ${port}`)
  process.on('SIGTERM', async () => {
    await plc.destroy()
    console.log('plc directory stopped')
  })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
