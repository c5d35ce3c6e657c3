/**
 * Entry of `dist/miptech-client.js`: @miptech/client (with @miptech/protocol inlined) as one ES
 * module a `<script type="module">` can import by URL — the platform serves it at /sdk/client.js.
 */
export * from '@miptech/client';
