/** Stylesheets are imported as text (scripts/css-text-plugin.mjs minifies them at build time). */
declare module '*.css' {
  const css: string;
  export default css;
}
