export function Hero({ title }: { title: string }) {
  return <h1 className="text-5xl font-bold tracking-tight">{title}</h1>;
}
