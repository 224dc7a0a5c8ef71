// Comments: threads (one level of replies) with open/resolved status, the open comments of
// earlier revisions carried over, each pinned on the map; a form posts new comments with the
// pin drawn or picked on the map. Every text is set with textContent.
import { el } from '../config.js';
import { request } from './api.js';
import { geojson, zoomTo } from './map.js';
import { Pin } from './pin.js';
import { clearStatus, showStatus } from './status.js';

function button(text, className, onClick) {
  const node = el('button', `button-link ${className}`, text);
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}

/** Tells the page how many threads are still open (the approval form shows it). Replies
 * keep a status nobody sets: only the threads' first comments count, as on the server
 * (planning.comments.open_comment_count). */
function announceOpenThreads(comments) {
  const open = comments.filter((c) => c.parent == null && c.status === 'open').length;
  document.dispatchEvent(new CustomEvent('review:comments', { detail: { open } }));
}

class Comments {
  constructor(config, review) {
    this.config = config;
    this.review = review;
    this.list = document.getElementById('comment-list');
    this.features = new Map();
  }

  async load() {
    try {
      const data = await request(this.config.urls.comments, { labels: this.config.labels });
      this.render(data.comments);
      announceOpenThreads(data.comments);
    } catch (error) {
      this.list.replaceChildren(el('li', 'error', error.message));
    }
  }

  render(comments) {
    const roots = comments.filter((c) => c.parent == null || !comments.some((p) => p.id === c.parent));
    const source = this.review.layers.comments.getSource();
    source.clear();
    this.features.clear();
    roots.forEach((comment, index) => this.addPin(comment, index + 1));
    comments.filter((c) => !roots.includes(c)).forEach((c) => this.addPin(c, ''));
    if (!roots.length) {
      this.list.replaceChildren(el('li', 'muted', this.config.labels.noComments));
      return;
    }
    this.list.replaceChildren(...roots.map((root, index) =>
      this.thread(root, comments.filter((c) => c.parent === root.id), index + 1)));
  }

  addPin(comment, label) {
    if (!comment.geometry) return;
    const feature = geojson.readFeature({ type: 'Feature', geometry: comment.geometry, properties: {} });
    feature.setProperties({ status: comment.status, label });
    this.review.layers.comments.getSource().addFeature(feature);
    this.features.set(comment.id, feature);
  }

  thread(root, replies, number) {
    const item = el('li', `comment-thread status-${root.status}`);
    item.dataset.comment = String(root.id);
    item.append(this.entry(root, number), ...replies.map((reply) => this.entry(reply, null)));
    const actions = el('div', 'comment-actions');
    if (this.config.canComment) actions.append(button(this.config.labels.reply, 'reply', () => this.replyForm(item, root)));
    if (this.config.canModerate || root.author === this.config.user) {
      const resolved = root.status === 'resolved';
      actions.append(button(resolved ? this.config.labels.reopen : this.config.labels.resolve,
        'set-status', () => this.setStatus(root, resolved ? 'open' : 'resolved')));
    }
    if (this.features.has(root.id)) {
      actions.append(button(this.config.labels.showOnMap, 'locate', () => this.locate(root.id)));
    }
    item.append(actions);
    return item;
  }

  entry(comment, number) {
    const { labels } = this.config;
    const node = el('article', number == null ? 'comment comment-reply' : 'comment');
    const head = el('header', 'comment-head');
    if (number != null) head.append(el('span', `comment-number status-${comment.status}`, String(number)));
    head.append(el('strong', 'comment-author', comment.author), el('span', 'muted comment-time', comment.created_display));
    if (number != null) {
      head.append(el('span', `badge badge-comment-${comment.status}`, labels[comment.status] || comment.status));
    }
    if (comment.inherited) {
      head.append(el('span', 'badge badge-inherited', labels.fromRevision.replace('%(number)d', String(comment.revision_number))));
    }
    node.append(head, el('p', 'comment-body', comment.body));
    return node;
  }

  locate(id) {
    const feature = this.features.get(id);
    this.features.forEach((f) => f.set('selected', f === feature));
    zoomTo(this.review.map, feature.getGeometry());
  }

  replyForm(item, root) {
    if (item.querySelector('form')) return;
    const form = el('form', 'reply-form');
    const text = el('textarea');
    text.rows = 2;
    text.maxLength = 10000;
    text.required = true;
    text.setAttribute('aria-label', this.config.labels.reply);
    const actions = el('div', 'form-actions');
    const send = el('button', 'button button-small', this.config.labels.send);
    send.type = 'submit';
    actions.append(send, button(this.config.labels.cancel, '', () => form.remove()));
    form.append(text, actions);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.post({ body: text.value, parent: root.id }, send)
        .then((ok) => ok && showStatus('success', this.config.labels.done.reply));
    });
    item.append(form);
    text.focus();
  }

  async post(payload, submitButton) {
    submitButton.disabled = true;
    clearStatus(); // the previous message, an error included, belongs to the last action
    try {
      await request(this.config.urls.comments, { method: 'POST', json: payload, labels: this.config.labels });
      await this.load();
      return true;
    } catch (error) {
      showStatus('error', error.message);
      return false;
    } finally {
      submitButton.disabled = false;
    }
  }

  async setStatus(comment, status) {
    clearStatus();
    try {
      const url = this.config.urls.comment.replace('{id}', String(comment.id));
      await request(url, { method: 'PATCH', json: { status }, labels: this.config.labels });
      await this.load();
      const { done } = this.config.labels;
      showStatus('success', status === 'resolved' ? done.resolve : done.reopenComment);
    } catch (error) {
      showStatus('error', error.message);
    }
  }
}

function setUpForm(config, review, comments) {
  const form = document.getElementById('comment-form');
  if (!form) return;
  const pin = new Pin(config, review);
  pin.clear();
  form.querySelectorAll('[data-draw]').forEach((tool) => {
    tool.addEventListener('click', () => pin.start(tool.dataset.draw));
  });
  document.getElementById('pin-clear').addEventListener('click', () => {
    pin.stop();
    pin.clear();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = form.elements.body;
    const ok = await comments.post({ body: body.value, ...pin.payload() }, form.querySelector('[type="submit"]'));
    if (ok) {
      body.value = '';
      pin.stop();
      pin.clear();
      showStatus('success', config.labels.done.comment);
    }
  });
}

export function setUpComments(config, review) {
  const comments = new Comments(config, review);
  setUpForm(config, review, comments);
  // A refused approval found threads the list does not show yet.
  document.addEventListener('review:reload-comments', () => comments.load());
  return comments.load();
}
