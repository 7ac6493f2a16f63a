import { Component, input, output } from '@angular/core';

/** One row: the ids and availability from the screen, the words from its texts. */
export interface EnvironmentRow {
  id: string;
  name: string;
  kind: string;
  bindings: string[];
  status: string;
  /** `false` when the core marked the environment unavailable. */
  choosable: boolean;
}

/**
 * The environment list as a single-selection table: one native radio per row,
 * named by its own label (the environment's name), inside a table drawn with
 * PO UI's classes. Unavailable rows are shown, greyed, with a disabled radio.
 */
@Component({
  selector: 'sl-environment-table',
  template: `
    <div class="sl-table-scroll" role="region" [attr.aria-label]="caption()" tabindex="0">
      <table class="sl-table">
        <caption class="po-sr-only">{{ caption() }}</caption>
        <thead>
          <tr>
            <th scope="col" class="sl-col-radio"><span class="po-sr-only">{{ columns()[0] }}</span></th>
            <th scope="col">{{ columns()[1] }}</th>
            <th scope="col">{{ columns()[2] }}</th>
            <th scope="col">{{ columns()[3] }}</th>
            <th scope="col">{{ columns()[4] }}</th>
          </tr>
        </thead>
        <tbody>
          @for (row of rows(); track row.id; let i = $index) {
            <tr
              class="sl-row"
              [class.sl-selected]="row.id === selected()"
              [class.sl-unavailable]="!row.choosable"
              (click)="row.choosable && picked.emit(row.id)"
            >
              <td class="sl-col-radio">
                <input
                  type="radio"
                  name="sl-environment"
                  [id]="'sl-env-' + i"
                  [value]="row.id"
                  [checked]="row.id === selected()"
                  [disabled]="!row.choosable"
                  [attr.aria-describedby]="'sl-env-status-' + i"
                  (change)="picked.emit(row.id)"
                />
              </td>
              <td class="sl-name"><label [for]="'sl-env-' + i">{{ row.name }}</label></td>
              <td>{{ row.kind }}</td>
              <td>
                @for (b of row.bindings; track $index) {
                  <div>{{ b }}</div>
                }
              </td>
              <td [id]="'sl-env-status-' + i">{{ row.status }}</td>
            </tr>
          }
        </tbody>
      </table>
    </div>
  `,
})
export class EnvironmentTable {
  readonly rows = input.required<EnvironmentRow[]>();
  readonly selected = input<string | null>(null);
  readonly caption = input('');
  /** Headings: select, name, kind, bindings, status. */
  readonly columns = input<string[]>(['', '', '', '', '']);
  readonly picked = output<string>();
}
