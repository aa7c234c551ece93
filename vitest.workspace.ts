/**
 * The list of vitest projects in this monorepo. vitest 5 ignores this file on its own, so
 * `vitest.config.ts` imports it into `test.projects`: add a package here and it is tested.
 */
export const projects = [
  {
    test: {
      name: "femtologging",
      root: "./packages/femtologging",
      include: ["test/**/*.test.ts"],
      exclude: ["test/utils/**"],
      setupFiles: ["test/utils/provideModules.ts"],
      testTimeout: 20_000,
      hookTimeout: 20_000
    }
  }
]

export default projects
