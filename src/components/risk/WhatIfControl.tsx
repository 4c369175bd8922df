// "What if the market moves…": a slider and a typed value kept in sync, setting one move of every price but the
// reference for the whole overview. Escape (anywhere on the page, unless another widget uses it) or the button
// returns to live figures. The chosen move is echoed exactly as chosen ("market −12.5 %"). The box and the cards
// never disagree: while the typed text is not a valid move the cards show no estimate, and the problem is said at
// once (politely) beside the box.
import { useEffect, useId, useRef, useState } from 'react';
import { Dec } from '../../domain/decimal.ts';
import { formatChosenMove } from '../../domain/format.ts';
import { WHAT_IF_MAX, WHAT_IF_MIN, WHAT_IF_STEP, parseMovePercent, sliderValue } from './what-if.ts';

/**
 * Widgets that use Escape themselves (to close or dismiss): with the focus inside one, Escape is theirs, not a way
 * back to live figures.
 */
const ESCAPE_WIDGETS = [
  'dialog',
  '[role="dialog"]',
  '[role="alertdialog"]',
  '[aria-modal="true"]',
  '[role="menu"]',
  '[role="menubar"]',
  '[role="listbox"]',
  '[role="combobox"]',
  'select',
].join(', ');

/**
 * Whether an Escape key press is the overview's way back to live figures: not already handled by something on the
 * way (a banner, a menu called preventDefault), and not pressed inside a widget that uses Escape itself.
 */
function escapeReturnsToLive(event: Pick<globalThis.KeyboardEvent, 'key' | 'defaultPrevented' | 'target'>) {
  if (event.key !== 'Escape' || event.defaultPrevented) return false;
  const focus = event.target instanceof Element ? event.target : document.activeElement;
  return !(focus instanceof Element && focus.closest(ESCAPE_WIDGETS) !== null);
}

export interface WhatIfControlProps {
  /** The move shown, in percent; null for live figures. */
  move: Dec | null;
  onMove: (move: Dec | null) => void;
}

/** The slider, the typed value, the estimate banner and the way back to live figures. */
export function WhatIfControl({ move, onMove }: WhatIfControlProps) {
  const headingId = useId();
  const sliderId = useId();
  const inputId = useId();
  const problemId = useId();
  const hintId = useId();
  const sliderRef = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const backToLive = () => {
    setText('');
    setProblem(null);
    onMove(null);
  };

  // Escape returns to live wherever the focus is on the overview, unless something on the way used it or the focus
  // is in a widget (a dialog, a menu) whose Escape it is. A typed text that is not a move counts as a choice too.
  const active = move !== null || problem !== null;
  useEffect(() => {
    if (!active) return;
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (!escapeReturnsToLive(event)) return;
      event.preventDefault();
      setText('');
      setProblem(null);
      onMove(null);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [active, onMove]);

  /**
   * Every keystroke: a valid move is applied; an empty box is live figures; anything else shows no estimate on
   * the cards (never the last valid move beside a box that says something else) and says why at once.
   */
  const typed = (value: string) => {
    setText(value);
    if (value.trim() === '') {
      setProblem(null);
      onMove(null);
      return;
    }
    const parsed = parseMovePercent(value);
    setProblem(parsed.ok ? null : parsed.problem);
    onMove(parsed.ok ? parsed.percent : null);
  };

  const fraction = move === null ? null : move.div(100);
  return (
    <section className="what-if panel" aria-labelledby={headingId} data-testid="what-if-control">
      <h3 id={headingId}>What if the market moves…</h3>
      <p className="muted small" id={hintId}>
        Every price but each account&apos;s reference currency moves by the same share; the cards show the
        level, zone and cushion that move would give.
      </p>
      <div className="what-if__inputs">
        <label htmlFor={sliderId} className="field what-if__slider">
          <span>Market move</span>
          <input
            ref={sliderRef}
            id={sliderId}
            type="range"
            min={WHAT_IF_MIN}
            max={WHAT_IF_MAX}
            step={WHAT_IF_STEP}
            value={move === null ? '0' : sliderValue(move)}
            aria-valuetext={
              fraction === null ? 'live figures, no move' : `market ${formatChosenMove(fraction)}`
            }
            aria-describedby={hintId}
            data-testid="what-if-slider"
            onChange={(event) => {
              const percent = new Dec(event.target.value);
              setText(percent.toFixed());
              setProblem(null);
              onMove(percent);
            }}
          />
        </label>
        <label htmlFor={inputId} className="field what-if__typed">
          <span>Move in %</span>
          <input
            id={inputId}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            placeholder="e.g. −10"
            value={text}
            size={8}
            aria-invalid={problem !== null}
            aria-describedby={problem === null ? undefined : problemId}
            data-testid="what-if-input"
            onChange={(event) => typed(event.target.value)}
          />
        </label>
        <button
          type="button"
          className="button"
          disabled={!active}
          data-testid="what-if-live"
          onClick={() => {
            backToLive();
            sliderRef.current?.focus();
          }}
        >
          Back to live
        </button>
      </div>
      <p className="what-if__problem" id={problemId} aria-live="polite" data-testid="what-if-problem">
        {problem}
      </p>
      <p
        className={`what-if__banner${active ? ' is-active' : ''}`}
        role="status"
        data-testid="what-if-banner"
        data-active={active}
      >
        {problem !== null ? (
          <>
            <strong>No estimate</strong> while the typed move is not valid: the cards show live figures.
          </>
        ) : fraction === null ? (
          'Live figures.'
        ) : (
          <>
            <strong>Estimate: market {formatChosenMove(fraction)}</strong> — not live figures. Press Escape or
            “Back to live” to return.
          </>
        )}
      </p>
    </section>
  );
}
