// The README's recipe: keep the native addon out of Turbopack's and webpack's bundles. Next's
// file tracing still copies it (and its platform package) into the standalone output.
/** @type {import('next').NextConfig} */
export default {
  serverExternalPackages: ['kernel-native'],
  output: 'standalone',
};
