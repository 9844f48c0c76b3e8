export function SandboxBanner() {
  return (
    <div className="sandbox-banner" data-testid="sandbox-banner" role="note">
      <strong>Sandbox</strong> — messages go to the built-in simulator, not to real patients. To use the real servers,
      set them up in Settings.
    </div>
  );
}
