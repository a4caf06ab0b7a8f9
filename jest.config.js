/** Jest runs the TypeScript tests through ts-jest; the CLI tests spawn the compiled dist/ bins. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', esModuleInterop: true, target: 'ES2022', isolatedModules: true } }] },
  testTimeout: 30000,
};
