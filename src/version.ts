/** The package version, printed by `sceau --version`. Kept in step with package.json by a unit test. */
export const VERSION = '0.1.0'
