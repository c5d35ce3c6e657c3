// esbuild plugin: `import css from './x.css'` gives the stylesheet minified, as a string.
import { readFile } from 'node:fs/promises';
import { transform } from 'esbuild';

export const cssTextPlugin = {
  name: 'css-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const { code } = await transform(source, { loader: 'css', minify: true, target: ['chrome90', 'firefox90', 'safari14'] });
      return { contents: `export default ${JSON.stringify(code.trim())};`, loader: 'js' };
    });
  },
};
