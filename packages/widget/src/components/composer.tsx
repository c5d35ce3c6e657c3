/** @jsxImportSource preact */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Ref } from 'preact';
import type { Strings } from '../strings.ts';
import { SendIcon } from './icons.tsx';

export interface ComposerProps {
  strings: Strings;
  /** Whether the panel is shown: a hidden text box cannot be measured. */
  visible: boolean;
  onSend: (text: string) => void;
  inputRef: Ref<HTMLTextAreaElement>;
}

const MAX_LENGTH = 4000;

/** The text box: Enter sends, Shift+Enter adds a line, the box grows with its text up to a limit. */
export function Composer({ strings, visible, onSend, inputRef }: ComposerProps) {
  const [text, setText] = useState('');
  const ownRef = useRef<HTMLTextAreaElement | null>(null);

  // Grow with the text (up to 140 px). Measured only while shown: a hidden box measures 0.
  useLayoutEffect(() => {
    const box = ownRef.current;
    if (!box || !visible) return;
    box.style.height = 'auto';
    box.style.height = `${Math.min(box.scrollHeight, 140)}px`;
  }, [text, visible]);

  const submit = (): void => {
    if (text.trim() === '') return;
    onSend(text);
    setText('');
  };

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <div class="field">
      <textarea
        ref={(element) => {
          ownRef.current = element;
          if (typeof inputRef === 'function') inputRef(element);
          else if (inputRef) inputRef.current = element;
        }}
        rows={1}
        value={text}
        maxLength={MAX_LENGTH}
        aria-label={strings.message}
        placeholder={strings.messagePlaceholder}
        onInput={(event) => setText(event.currentTarget.value)}
        onKeyDown={(event) => {
          // While an IME composes (Japanese, Chinese…), Enter confirms the composition, not the message.
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            submit();
          }
        }}
      />
      <button type="submit" class="send" aria-label={strings.send} title={strings.send} disabled={text.trim() === ''}>
        <SendIcon />
      </button>
      </div>
    </form>
  );
}
