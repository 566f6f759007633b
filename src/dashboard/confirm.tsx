/** A modal confirmation (the native <dialog>: focus is trapped and Escape cancels). */
import { useEffect, useRef } from 'preact/hooks';

export function ConfirmDialog({ message, confirmLabel, onConfirm, onCancel }: {
  message: string; confirmLabel: string; onConfirm: () => void; onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    dialog.showModal();
    const cancel = () => onCancel();
    dialog.addEventListener('cancel', cancel);
    return () => { dialog.removeEventListener('cancel', cancel); if (dialog.open) dialog.close(); };
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-text">
      <p id="confirm-text">{message}</p>
      <div class="actions">
        <button type="button" class="secondary" onClick={onCancel}>Cancel</button>
        <button type="button" class="danger" onClick={onConfirm}>{confirmLabel}</button>
      </div>
    </dialog>
  );
}
