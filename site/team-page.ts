// The team page: each member with their photo and, once the worker made it,
// the photo's thumbnail.
import { html } from './html.ts';
import { layout } from './layout.ts';
import type { Member } from './team.ts';

export interface TeamPage {
  shopName: string;
  servedBy: string;
  members: readonly Member[];
  /** photo file names that have a thumbnail */
  thumbnails: ReadonlySet<string>;
}

export function renderTeamPage(page: TeamPage): string {
  const members = page.members.map((member) => {
    const file = encodeURIComponent(member.photo);
    const thumbnail = page.thumbnails.has(member.photo)
      ? html`<img class="thumb" src="/team/thumbs/${file}" alt="" width="96" height="96">`
      : html`<span class="thumb pending">thumbnail on its way</span>`;
    return html`<li><img class="photo" src="/team/photos/${file}" alt="${member.name}" width="160">
<strong class="name">${member.name}</strong><br><span class="role">${member.role}</span><br>${thumbnail}</li>`;
  });
  const body = html`<h2>Team</h2>
${page.members.length === 0 ? html`<p>No one yet.</p>` : html`<ul class="team">${members}</ul>`}`;
  return layout({ shopName: page.shopName, title: 'Team', body, servedBy: page.servedBy });
}
