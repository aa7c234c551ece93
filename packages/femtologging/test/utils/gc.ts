/**
 * Garbage collection for leak tests, in the test's own process: `--expose-gc` set at run time
 * (`gc` then lives in a new context), and a count of tracked objects still alive after it.
 */
import * as v8 from "node:v8"
import * as vm from "node:vm"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

/** Objects to watch: `track` them, then `alive()` collects garbage and counts those not collected. */
export const tracker = () => {
  const refs: Array<WeakRef<object>> = []
  return {
    track: <A extends object>(value: A): A => {
      refs.push(new WeakRef(value))
      return value
    },
    alive: async (): Promise<number> => {
      // A WeakRef keeps its target until the end of the turn that made it; and what a closing
      // handler scheduled (a microtask, an immediate) runs first.
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        gc()
      }
      return refs.filter((ref) => ref.deref() !== undefined).length
    }
  }
}
