// CommonJS TypeScript: `import = require` of the package types.
import bfly = require('bfly')

export const spawnIt: typeof bfly.spawn = bfly.spawn
export const pid: bfly.Pid = bfly.spawn(async () => {})
