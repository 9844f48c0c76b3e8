// Fast Refresh runtime in dev (empty in builds); first, before any component module.
import '@vitejs/plugin-react/preamble';
// Global styles first so feature stylesheets come after them in the bundle.
import './styles/theme.css';
import './styles/base.css';
import './styles/controls.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { Providers } from './app/Providers';
import { createQueryClient } from './app/queryClient';

const root = document.getElementById('root');
if (!root) throw new Error('#root element missing from index.html');

// The first patient page is prefetched on unlock (app/DeskLock.tsx): the desk starts locked.
const client = createQueryClient();

createRoot(root).render(
  <StrictMode>
    <Providers client={client}>
      <App />
    </Providers>
  </StrictMode>,
);
